#!/usr/bin/env bash
# Builds the libFuzzer targets of test/fuzz in the ASan + UBSan build of
# scripts/sanitize.sh (clang-19, build-sanitize/), seeds each corpus from the
# repository's inputs, runs every target for a bounded time and reports
# executions and crashes.
#
#   scripts/fuzz.sh                 # every target, 600 s each
#   FUZZ_SECONDS=60 scripts/fuzz.sh Plan Mail
#
# Environment: FUZZ_SECONDS (per target, default 600), SANITIZE_BUILD_DIR
# (default <repo>/build-sanitize), DREAMC_JOBS (ninja -j, default 2).
# Corpora grow in $SANITIZE_BUILD_DIR/fuzz/corpus/<Target> across runs; a
# crash leaves its input in $SANITIZE_BUILD_DIR/fuzz/crashes/ and the script
# exits 1.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
seconds="${FUZZ_SECONDS:-600}"
build="${SANITIZE_BUILD_DIR:-$root/build-sanitize}"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(Frontend Safetensors Plan Idx Csv Mail Tokenizer)

SANITIZE_BUILD_DIR="$build" "$root/scripts/sanitize.sh" --build "${targets[@]/%/Fuzzer}"
# shellcheck source=scripts/env.sh
source "$root/scripts/env.sh"

# Seeds: every test input of each kind, rewritten on each run; the fuzzers
# read them without adding to them.
seeds="$build/fuzz/seeds"
rm -rf "$seeds"
mkdir -p "$seeds/FrontendFuzzer" "$seeds/PlanFuzzer"
(cd "$root" && find models stdlib test examples -name '*.dream') |
  while read -r file; do
    cp "$root/$file" "$seeds/FrontendFuzzer/${file//\//_}"
  done
cp "$root"/test/runtime/plans/*.json "$seeds/PlanFuzzer/"
python3 "$root/test/fuzz/make_seeds.py" "$seeds"

status=0
report=""
for target in "${targets[@]}"; do
  name="${target}Fuzzer"
  corpus="$build/fuzz/corpus/$name"
  crashes="$build/fuzz/crashes"
  log="$build/fuzz/$name.log"
  mkdir -p "$corpus" "$crashes"
  echo "fuzz.sh: $name for $seconds s (log: $log)"
  # Run from the corpus directory: the front end resolves relative imports
  # there, never in the source tree.
  if (cd "$corpus" && "$build/test/fuzz/$name" -max_total_time="$seconds" \
        -timeout=30 -rss_limit_mb=4096 -print_final_stats=1 \
        -artifact_prefix="$crashes/$name-" "$corpus" "$seeds/$name") \
        >"$log" 2>&1; then
    result="nothing found"
  else
    result="FAILED: see $log and $crashes"
    status=1
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  report+=$(printf '%-20s %6s s %10s runs %7s/s  %s' \
    "$name" "$seconds" "${runs:-?}" "${rate:-?}" "$result")$'\n'
done
printf '\n%s' "$report"
exit $status
