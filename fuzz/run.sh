#!/usr/bin/env bash
# Builds every fuzz target and runs each for N seconds (default 20), one after the other in a
# single process each (one core); fails if any target crashes. This is what CI runs.
#
#   fuzz/run.sh [SECONDS] [TARGET...]
#
# New inputs go to fuzz/corpus-scratch/<target> (git-ignored); the committed seeds in
# fuzz/corpus/<target> are read, never written. A crashing input lands in
# fuzz/artifacts/<target>/: keep it as a seed once the bug is fixed.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-20}"
[ $# -gt 0 ] && shift
# cargo-fuzz passes nightly-only flags (-Zsanitizer=address); this lets stable accept them.
export RUSTC_BOOTSTRAP=1
export CARGO_TERM_COLOR=never

if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cargo fuzz list)
fi

start=$(date +%s)
cargo fuzz build
echo "== built in $(( $(date +%s) - start ))s"

failed=()
total=0
for target in "${targets[@]}"; do
  scratch="fuzz/corpus-scratch/$target"
  log="fuzz/corpus-scratch/$target.log"
  mkdir -p "$scratch"
  echo "== $target: ${seconds}s"
  status=0
  cargo fuzz run "$target" "$scratch" "fuzz/corpus/$target" -- \
    -max_total_time="$seconds" -print_final_stats=1 >"$log" 2>&1 || status=$?
  grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)|^Done [0-9]+ runs|panicked|ERROR: |SUMMARY|Failing input|^	fuzz/artifacts' "$log" || true
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  total=$(( total + ${runs:-0} ))
  if [ "$status" -ne 0 ]; then
    failed+=("$target")
    tail -n 60 "$log"
  fi
done

echo "== done in $(( $(date +%s) - start ))s, ${total} executions"
if [ ${#failed[@]} -gt 0 ]; then
  echo "== crashed: ${failed[*]} (inputs in fuzz/artifacts/)"
  exit 1
fi
