#!/usr/bin/env bash
# Instructions per operation, counted by valgrind's callgrind: deterministic, so its ratios hold
# on a shared, noisy machine where wall time does not. Run from the repository root:
#
#   bash benches/instructions.sh
#
# Each scenario of benches/instructions.rs runs 0 and N times, counting only what runs inside
# its `measure` function; the difference divided by N is the cost of one operation, with the
# set-up (issuer, keys, tokens, runtime) and the constant cost of `measure` left out. The
# scenarios that verify a signature take a new token on every run (an ECDSA verification's
# cost depends on the signature), so their count is an average over N signatures. N
# (environment) is 100. FEATURES (environment) are the crate features to build with, default
# `test-util` (the bench mints tokens with the test issuer); `FEATURES=test-util,metrics`
# counts what the metrics add.
#
# Not part of `cargo test` or .ci/run: it installs valgrind if missing and takes a few minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-100}
FEATURES=${FEATURES:-test-util}

if ! command -v valgrind >/dev/null; then
  echo "# installing valgrind" >&2
  sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind >/dev/null
fi

echo "# building benches/instructions.rs (release)" >&2
bin=$(cargo bench --bench instructions --features "$FEATURES" --no-run --message-format=json 2>/dev/null \
  | sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -n 1)
[ -x "$bin" ] || { echo "could not build benches/instructions.rs" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

count() { # scenario runs -> instructions inside `measure`
  valgrind --tool=callgrind --callgrind-out-file="$work/out" \
    --toggle-collect='*instructions::measure*' "$bin" "$1" "$2" >/dev/null 2>"$work/err" \
    || { cat "$work/err" >&2; exit 1; }
  sed -n 's/^summary: //p' "$work/out"
}

declare -A per
mapfile -t scenarios < <("$bin" list)
for name in "${scenarios[@]}"; do
  zero=$(count "$name" 0)
  all=$(count "$name" "$N")
  per[$name]=$(( (all - zero) / N ))
  echo "# $name: ${per[$name]}" >&2
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
echo "Instructions per operation (valgrind $(valgrind --version | sed 's/valgrind-//'), callgrind, N=$N)"
echo "date:    $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "machine: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1), $(uname -sr)"
echo "rustc:   $(rustc -V)"
echo "features: $FEATURES"
echo
printf '%-40s %14s\n' "operation" "instructions"
for name in "${scenarios[@]}"; do
  printf '%-40s %14s\n' "$name" "${per[$name]}"
done
echo
for alg in es384 rs256; do
  echo "$alg: signature with the key parsed each time / parsed once" \
    "$(ratio "${per[$alg signature, key parsed each time]}" "${per[$alg signature]}")x"
  echo "$alg: first validate / signature $(ratio "${per[$alg first validate]}" "${per[$alg signature]}")x;" \
    "cache hit $(ratio "${per[$alg first validate]}" "${per[$alg cache hit]}")x cheaper than a first validate"
done
echo "20 keys / 1 key:     first validate $(ratio "${per[20 keys first validate]}" "${per[es384 first validate]}")x," \
  "cache hit $(ratio "${per[20 keys cache hit]}" "${per[es384 cache hit]}")x"
echo "50 scopes / 1 scope: first validate $(ratio "${per[50 scopes first validate]}" "${per[es384 first validate]}")x," \
  "cache hit $(ratio "${per[50 scopes cache hit]}" "${per[es384 cache hit]}")x"
echo "10,000 revocation rules / none: first validate $(ratio "${per[10000 rules first validate]}" "${per[es384 first validate]}")x," \
  "cache hit $(ratio "${per[10000 rules cache hit]}" "${per[es384 cache hit]}")x"
echo "router: no auth / cache hit $(ratio "${per[router no auth]}" "${per[router cache hit]}")x;" \
  "fresh token / es384 signature $(ratio "${per[router fresh token]}" "${per[es384 signature]}")x"
echo "mcp (cache hit): per-operation policy / layer without one:" \
  "operation from the 2026-07-28 headers $(ratio "${per[mcp policy headers]}" "${per[mcp no policy]}")x," \
  "from a 2025-11-25 body $(ratio "${per[mcp policy body]}" "${per[mcp no policy]}")x"
echo "outbound: a cached token $(ratio "${per[outbound cached token]}" "${per[es384 cache hit]}")x a validate cache hit;" \
  "a cached exchange $(ratio "${per[outbound cached exchange]}" "${per[es384 cache hit]}")x"
