-- wrk script for benches/http/run.sh, used by every scenario.
--
-- With TOKENS_FILE set (one token per line), every request carries the next token of its
-- thread's share of the file (thread k of WRK_THREADS takes lines k, k + WRK_THREADS, ...), so no
-- two requests send the same token unless a share runs out ("wraps" counts how often one did).
-- Without it, requests are the static ones wrk builds from its command line (-H).
-- With ONCE=<directory> as well, each thread sends each of its tokens once, then stops and
-- creates the file done.<thread> in that directory (requests already in flight when its share
-- runs out repeat its last token).
--
-- The done hook prints one line for run.sh to parse:
--   RESULT requests=.. duration_us=.. rps=.. p50_us=.. p99_us=.. non2xx=.. socket_errors=.. wraps=..

local threads = {}
local thread_count = 0

function setup(thread)
  thread:set("id", thread_count)
  thread_count = thread_count + 1
  table.insert(threads, thread)
end

-- Per-thread globals (each wrk thread has its own Lua state; `done` reads `wraps` with get).
tokens = nil
n = 0
i = 0
wraps = 0

local tokens_file = os.getenv("TOKENS_FILE")
local once = os.getenv("ONCE")
if once == "" then
  once = nil
end
if tokens_file ~= nil and tokens_file ~= "" then
  function init(args)
    local share = tonumber(os.getenv("WRK_THREADS") or "1")
    tokens = {}
    local line_no = 0
    for line in io.lines(tokens_file) do
      if line ~= "" then
        if line_no % share == id then
          tokens[#tokens + 1] = "Bearer " .. line
        end
        line_no = line_no + 1
      end
    end
    n = #tokens
    if n == 0 then
      error("no tokens for thread " .. id .. " in " .. tokens_file)
    end
  end

  -- Defined only here, so that wrk takes the dynamic path only when tokens cycle.
  function request()
    i = i + 1
    if i > n then
      if once then
        i = n
      else
        i = 1
        wraps = wraps + 1
      end
    end
    return wrk.format(nil, nil, { ["Authorization"] = tokens[i] })
  end

  if once then
    responses = 0
    -- n answers mean n requests sent: every token of this thread's share went out.
    function response(status, headers, body)
      responses = responses + 1
      if responses == n then
        local marker = io.open(once .. "/done." .. id, "w")
        marker:close()
        wrk.thread:stop()
      end
    end
  end
end

function done(summary, latency, requests)
  local total_wraps = 0
  for _, thread in ipairs(threads) do
    total_wraps = total_wraps + (thread:get("wraps") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d rps=%.1f p50_us=%d p99_us=%d non2xx=%d socket_errors=%d wraps=%d\n",
    summary.requests, summary.duration, summary.requests / summary.duration * 1e6,
    latency:percentile(50), latency:percentile(99), e.status,
    e.connect + e.read + e.write + e.timeout, total_wraps))
end
