#!/usr/bin/env bash
# HTTP benchmark, side by side: the demo (axum-logto, examples/demo) and the same `GET /docs`
# route protected by axum-jwt-auth (benches/peers), both validating the same ES384 `at+jwt`
# tokens of the demo's embedded issuer. Run from the repository root:
#
#   bash benches/http/run.sh
#
# Settings (environment): THREADS (2), CONNECTIONS (32), DURATION (10s), WARMUP (3s) for wrk;
# TOKENS (100000), how many fresh tokens the demo mints for the fresh-token scenarios;
# CACHE_SIZE (bytes; unset: the default 16 MiB, 0: off) sizes the demo's verified-token cache;
# PEER_AWS_LC=1 adds rows f and g: the peer again, with jsonwebtoken's aws-lc backend installed
# instead of the rust_crypto one axum-jwt-auth enables (to tell the crate from the backend).
#
# Scenarios, each run with the same wrk settings:
#   a  demo  GET /public   no token
#   b  demo  GET /docs     one token, repeated
#   c  demo  GET /docs     a fresh token on every request (wrk.lua cycles through the minted ones)
#   d  peer  GET /docs     one token, repeated
#   e  peer  GET /docs     a fresh token on every request
#   f, g (PEER_AWS_LC=1)   d and e with the peer built with aws-lc
# After c, every minted token is sent to the demo once more (wrk.lua with ONCE), so that the
# demo's RSS is reported after TOKENS distinct tokens, beside its RSS idle and after a and b.
#
# Besides wrk's requests/s and latency, each row shows the server's own CPU time per request
# (user + system, from /proc/PID/stat): wrk shares the CPUs, so requests/s alone cannot say
# how close the fresh-token row comes to the cost of one signature verification.
#
# Not part of `cargo test` or .ci/run: it installs wrk, builds in release, and takes minutes.
set -euo pipefail
cd "$(dirname "$0")/../.."

THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-32}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-3s}
TOKENS=${TOKENS:-100000}
PEER_AWS_LC=${PEER_AWS_LC:-0}
CACHE_SIZE=${CACHE_SIZE:-}
if [ -z "$CACHE_SIZE" ]; then cache_line="on (default 16 MiB)"
elif [ "$CACHE_SIZE" = 0 ]; then cache_line="off (CACHE_SIZE=0)"
else cache_line="of $CACHE_SIZE bytes (CACHE_SIZE)"; fi
here=benches/http

log() { echo "# $*" >&2; }

# --- wrk -------------------------------------------------------------------------------------
if ! command -v wrk >/dev/null; then
  log "installing wrk"
  sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi

# --- builds ----------------------------------------------------------------------------------
t0=$(date +%s)
log "building the demo (release)"
cargo build --release --example demo --features test-util,metrics,redis,aide
t1=$(date +%s)
demo_bin=${CARGO_TARGET_DIR:-target}/release/examples/demo
peer_bin=${CARGO_TARGET_DIR:-benches/peers/target}/release/axum-jwt-auth-peer
if [ "$PEER_AWS_LC" = 1 ]; then
  log "building the peer with aws-lc (release)"
  cargo build --release --manifest-path benches/peers/Cargo.toml --features aws_lc_rs
  cp "$peer_bin" "$peer_bin-aws-lc"
fi
log "building the peer (release)"
cargo build --release --manifest-path benches/peers/Cargo.toml
t2=$(date +%s)

# --- servers ---------------------------------------------------------------------------------
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Waits for `listening on http://...` in $1 while process $2 lives; prints the address.
wait_listening() {
  local out=$1 pid=$2 deadline=$(( $(date +%s) + 600 ))
  while :; do
    if grep -q '^listening on ' "$out" 2>/dev/null; then
      sed -n 's/^listening on //p' "$out" | head -n 1
      return
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      log "server $pid exited before listening:"; cat "$out" "$out.err" >&2 || true; exit 1
    fi
    if [ "$(date +%s)" -gt "$deadline" ]; then
      log "server $pid did not listen within 600 s"; exit 1
    fi
    sleep 0.2
  done
}

rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
# CPU time (user + system, in clock ticks) the process has used so far.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
ticks_per_s=$(getconf CLK_TCK)

log "starting the demo (embedded issuer), minting $TOKENS tokens"
m0=$(date +%s.%N)
RUST_LOG=warn BIND=127.0.0.1:0 DEMO_TOKENS_FILE="$work/tokens" DEMO_TOKENS="$TOKENS" \
  DEMO_CACHE_SIZE="$CACHE_SIZE" \
  "$demo_bin" >"$work/demo.out" 2>"$work/demo.out.err" &
demo_pid=$!
pids+=("$demo_pid")
demo=$(wait_listening "$work/demo.out" "$demo_pid")
m1=$(date +%s.%N)
issuer=$(sed -n 's/^# axum-logto demo: an embedded test issuer at //p' "$work/demo.out")
demo_idle_rss=$(rss_kib "$demo_pid")

# Tokens printed by the demo, by the comment above their curl line.
printed_token() {
  grep -A1 -F "# $1: " "$work/demo.out" | sed -n "s/^curl .*Bearer \([^']*\)'.*/\1/p" | head -n 1
}
token=$(printed_token "read:docs")                        # the repeated token (not in the file)
expired=$(printed_token "expired token")
other_api=$(printed_token "token for another API")
no_scope=$(printed_token "who am I")
[ -n "$token" ] && [ -n "$expired" ] && [ -n "$other_api" ] && [ -n "$no_scope" ] \
  || { log "could not read the demo's tokens"; exit 1; }
[ "$(wc -l <"$work/tokens")" -eq "$TOKENS" ] || { log "the demo wrote too few tokens"; exit 1; }

log "starting the peer (axum-jwt-auth) for $issuer"
BIND=127.0.0.1:0 "$peer_bin" "$issuer" >"$work/peer.out" 2>"$work/peer.out.err" &
peer_pid=$!
pids+=("$peer_pid")
peer=$(wait_listening "$work/peer.out" "$peer_pid")
peer_idle_rss=$(rss_kib "$peer_pid")
if [ "$PEER_AWS_LC" = 1 ]; then
  BIND=127.0.0.1:0 "$peer_bin-aws-lc" "$issuer" >"$work/peer2.out" 2>"$work/peer2.out.err" &
  peer2_pid=$!
  pids+=("$peer2_pid")
  peer2=$(wait_listening "$work/peer2.out" "$peer2_pid")
fi

# --- both servers accept and refuse the same tokens ------------------------------------------
status() { # url [token]
  if [ -n "${2:-}" ]; then
    curl -s -o /dev/null --max-time 10 -w '%{http_code}' -H "Authorization: Bearer $2" "$1"
  else
    curl -s -o /dev/null --max-time 10 -w '%{http_code}' "$1"
  fi
}
first_fresh=$(head -n 1 "$work/tokens")
checks=(
  "$demo/public||200"
  "$demo/docs|$token|200" "$demo/docs|$first_fresh|200" "$demo/docs|$expired|401"
  "$demo/docs|$other_api|401" "$demo/docs|$no_scope|403" "$demo/docs||401"
  "$peer/docs|$token|200" "$peer/docs|$first_fresh|200" "$peer/docs|$expired|401"
  "$peer/docs|$other_api|401" "$peer/docs|$no_scope|403" "$peer/docs||401"
)
if [ "$PEER_AWS_LC" = 1 ]; then
  checks+=("$peer2/docs|$token|200" "$peer2/docs|$first_fresh|200" "$peer2/docs|$expired|401"
    "$peer2/docs|$other_api|401" "$peer2/docs|$no_scope|403" "$peer2/docs||401")
fi
for check in "${checks[@]}"; do
  IFS='|' read -r url tok want <<<"$check"
  got=$(status "$url" "$tok")
  [ "$got" = "$want" ] || { log "sanity check failed: $url -> $got, expected $want"; exit 1; }
done
# The fresh-token scenarios start with the file's first line on thread 0: drop the one just
# used, so that every request of those scenarios carries a token the server has not seen.
tail -n +2 "$work/tokens" >"$work/fresh" && mv "$work/fresh" "$work/tokens"

# --- wrk -------------------------------------------------------------------------------------
results=()
# run NAME PID URL [wrk args...]: runs wrk against the server PID and appends
# "NAME requests duration rps p50 p99 non2xx errors wraps cpu_ticks".
run() {
  local name=$1 pid=$2 url=$3; shift 3
  local out before
  before=$(cpu_ticks "$pid")
  out=$(WRK_THREADS=$THREADS wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" \
    -s "$here/wrk.lua" "$@" "$url")
  local cpu=$(( $(cpu_ticks "$pid") - before ))
  echo "$out" >"$work/wrk-$name.txt"
  local line
  line=$(grep '^RESULT ' <<<"$out") || { log "wrk printed no RESULT for $name:"; echo "$out" >&2; exit 1; }
  results+=("$name $(sed -E 's/[a-z0-9_]+=//g; s/^RESULT //' <<<"$line") $cpu")
}
warmup() { # url [wrk args...]
  local url=$1; shift
  WRK_THREADS=$THREADS wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" "$@" "$url" >/dev/null
}
bearer=(-H "Authorization: Bearer $token")

log "wrk -t$THREADS -c$CONNECTIONS -d$DURATION (warm-up $WARMUP) on each scenario"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
warmup "$demo/public"
run a "$demo_pid" "$demo/public"
warmup "$demo/docs" "${bearer[@]}"
run b "$demo_pid" "$demo/docs" "${bearer[@]}"
demo_warm_rss=$(rss_kib "$demo_pid")
TOKENS_FILE="$work/tokens" run c "$demo_pid" "$demo/docs"
# Scenario c sends as many tokens as it has time for; send the demo every minted token once
# (those c sent again too), so that the RSS below is the RSS after $TOKENS distinct tokens.
log "sending each of the $TOKENS tokens to the demo once (for its RSS)"
f0=$(date +%s)
mkdir "$work/once"
ONCE="$work/once" TOKENS_FILE="$work/tokens" WRK_THREADS=$THREADS wrk -t"$THREADS" \
  -c"$CONNECTIONS" -d600s -s "$here/wrk.lua" "$demo/docs" >"$work/wrk-all-tokens.txt" &
wrk_pid=$!
# wrk runs for its whole duration even when every thread stopped: interrupt it then.
while kill -0 "$wrk_pid" 2>/dev/null && [ "$(ls "$work/once" | wc -l)" -lt "$THREADS" ]; do
  sleep 0.5
done
kill -INT "$wrk_pid" 2>/dev/null || true
wait "$wrk_pid" || true
f1=$(date +%s)
grep -q '^RESULT .* non2xx=0 ' "$work/wrk-all-tokens.txt" \
  || { log "sending every token failed:"; cat "$work/wrk-all-tokens.txt" >&2; exit 1; }
demo_rss=$(rss_kib "$demo_pid")
warmup "$peer/docs" "${bearer[@]}"
run d "$peer_pid" "$peer/docs" "${bearer[@]}"
TOKENS_FILE="$work/tokens" run e "$peer_pid" "$peer/docs"
peer_rss=$(rss_kib "$peer_pid")
if [ "$PEER_AWS_LC" = 1 ]; then
  warmup "$peer2/docs" "${bearer[@]}"
  run f "$peer2_pid" "$peer2/docs" "${bearer[@]}"
  TOKENS_FILE="$work/tokens" run g "$peer2_pid" "$peer2/docs"
fi

# --- report ----------------------------------------------------------------------------------
crate_version() { # lockfile crate
  awk -v name="$2" '$0 == "name = \"" name "\"" { getline; gsub(/[^0-9.]/, ""); print; exit }' "$1"
}
echo "HTTP benchmark: axum-logto (examples/demo) vs axum-jwt-auth (benches/peers)"
echo "date:     $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "machine:  $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1), $(uname -sr)"
echo "load:     $load_before (1/5/15 min load average before the runs)"
echo "wrk:      $(wrk -v 2>&1 | head -n 1 | cut -d' ' -f1-2), -t$THREADS -c$CONNECTIONS -d$DURATION, warm-up $WARMUP, loopback"
echo "rustc:    $(rustc -V)"
echo "demo:     axum-logto $(crate_version Cargo.lock axum-logto), aws-lc-rs $(crate_version Cargo.lock aws-lc-rs) (feature aws_lc_rs, the default), verified-token cache $cache_line"
echo "peer:     axum-jwt-auth $(crate_version benches/peers/Cargo.lock axum-jwt-auth), jsonwebtoken $(crate_version benches/peers/Cargo.lock jsonwebtoken) + p384 $(crate_version benches/peers/Cargo.lock p384) (feature rust_crypto, set by axum-jwt-auth)"
[ "$PEER_AWS_LC" = 1 ] && echo "peer f,g: the same, built with --features aws_lc_rs: jsonwebtoken's aws-lc provider (aws-lc-rs $(crate_version benches/peers/Cargo.lock aws-lc-rs)) installed at start-up"
echo "tokens:   ES384 at+jwt from $issuer; $TOKENS minted by the demo in $(awk -v a="$m0" -v b="$m1" 'BEGIN { printf "%.1f", b - a }') s (incl. start-up)"
echo "builds:   demo $((t1 - t0)) s, peer $((t2 - t1)) s (release; 0-1 s when up to date)"
echo
awk -v rows="$(printf '%s\n' "${results[@]}")" -v tick_us="$((1000000 / ticks_per_s))" 'BEGIN {
  rows_count = split("a b c d e f g", order, " ")
  label["a"] = "a  demo  GET /public  (no auth)"
  label["b"] = "b  demo  GET /docs    repeated token"
  label["c"] = "c  demo  GET /docs    fresh token each request"
  label["d"] = "d  peer  GET /docs    repeated token"
  label["e"] = "e  peer  GET /docs    fresh token each request"
  label["f"] = "f  peer with aws-lc: d"
  label["g"] = "g  peer with aws-lc: e"
  n = split(rows, lines, "\n")
  for (k = 1; k <= n; k++) {
    split(lines[k], f, " ")
    # name requests duration_us rps p50_us p99_us non2xx socket_errors wraps cpu_ticks
    rps[f[1]] = f[4]; p50[f[1]] = f[5]; p99[f[1]] = f[6]
    non2xx[f[1]] = f[7]; errs[f[1]] = f[8]; wraps[f[1]] = f[9]
    cpu_us[f[1]] = f[10] * tick_us / f[2]
  }
  fmt = "%-46s %12s %9s %9s %10s %11s %8s %7s\n"
  printf fmt, "scenario", "requests/s", "p50 ms", "p99 ms", "vs /public", "CPU us/req", "non-2xx",
    "errors"
  for (k = 1; k <= rows_count; k++) {
    s = order[k]
    if (!(s in rps)) continue
    printf fmt, label[s], sprintf("%.0f", rps[s]), sprintf("%.2f", p50[s] / 1000),
      sprintf("%.2f", p99[s] / 1000), sprintf("%.3f", rps[s] / rps["a"]),
      sprintf("%.1f", cpu_us[s]), non2xx[s], errs[s]
  }
  print ""
  printf "demo / peer, repeated token: %.2fx requests/s, p99 %.2f ms vs %.2f ms\n",
    rps["b"] / rps["d"], p99["b"] / 1000, p99["d"] / 1000
  printf "demo / peer, fresh tokens:   %.2fx requests/s, p99 %.2f ms vs %.2f ms\n",
    rps["c"] / rps["e"], p99["c"] / 1000, p99["e"] / 1000
  if ("f" in rps) {
    printf "demo / peer with aws-lc, repeated token: %.2fx requests/s; fresh tokens: %.2fx\n",
      rps["b"] / rps["f"], rps["c"] / rps["g"]
  }
  if (wraps["c"] + wraps["e"] + wraps["g"] > 0)
    printf "WARNING: the fresh-token runs reused tokens (%d, %d, %d wraps): raise TOKENS\n",
      wraps["c"], wraps["e"], wraps["g"]
}'
echo
mib() { awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'; }
echo "RSS (VmRSS):  demo $(mib "$demo_idle_rss") idle before the runs," \
  "$(mib "$demo_warm_rss") after a and b (connections open, one token cached)," \
  "$(mib "$demo_rss") after all $TOKENS distinct tokens ($((f1 - f0)) s to send them after c)"
awk -v idle="$demo_idle_rss" -v warm="$demo_warm_rss" -v after="$demo_rss" 'BEGIN {
  # The bound is judged from a and b, not from idle: a and b open the 32 connections and
  # wake the runtime workers, whose buffers and stacks are not part of the cache (a run with
  # CACHE_SIZE=0 grows as much from idle to a and b, and nothing after).
  bound = 16 * 1024
  printf "              growth from idle %.1f MiB, from a and b %.1f MiB; a and b + the 16 MiB cache bound = %.1f MiB: %s\n",
    (after - idle) / 1024, (after - warm) / 1024, (warm + bound) / 1024,
    (after <= warm + bound) ? "within" : "OVER"
}'
echo "              peer $(mib "$peer_idle_rss") idle before the runs, $(mib "$peer_rss") after them"
echo "(wrk and both servers share these $(nproc) CPUs, so compare ratios rather than absolute numbers;"
echo " CPU us/req is the server's own user + system time per request, from /proc/PID/stat)"
