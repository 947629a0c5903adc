#!/usr/bin/env bash
# The whole test suite under AddressSanitizer and UndefinedBehaviorSanitizer:
# builds everything with clang-19 and DREAMC_SANITIZE=ON in build-sanitize/,
# runs ctest there and fails if any test fails or any program, even one a
# test expected to fail, wrote a sanitizer report.
#
#   scripts/sanitize.sh                   # build, then every test
#   scripts/sanitize.sh -R RuntimeTests   # arguments go to ctest
#   scripts/sanitize.sh --build T...      # only configure and build targets
#                                         # T (scripts/fuzz.sh uses this)
#
# Environment: SANITIZE_BUILD_DIR (default <repo>/build-sanitize), DREAMC_JOBS
# (ninja -j and ctest -j, default 2). Reports go to
# $SANITIZE_BUILD_DIR/sanitizer-reports/, one file per report.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
build="${SANITIZE_BUILD_DIR:-$root/build-sanitize}"
jobs="${DREAMC_JOBS:-2}"

"$root/scripts/setup.sh"
# shellcheck source=scripts/env.sh
source "$root/scripts/env.sh"

# libomp: clang's OpenMP code (runtime/lib/exec/Parallel.cpp) calls its entry
# points, which the torch wheel's libgomp lacks.
if ! command -v clang++-19 >/dev/null ||
   [ ! -e /usr/lib/llvm-19/lib/clang/19/lib/linux/libclang_rt.fuzzer-x86_64.a ] ||
   [ ! -e /usr/lib/llvm-19/lib/libomp.so ]; then
  echo "sanitize.sh: installing clang-19, its sanitizer runtimes and libomp"
  apt-get install -y clang-19 libclang-rt-19-dev libomp-19-dev
fi

if [ ! -f "$build/build.ninja" ]; then
  # -O1 keeps the instrumented programs quick without the cost of -O2 builds;
  # line tables are enough for the reports' stack traces.
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19 \
    -DCMAKE_C_FLAGS_RELEASE="-O1 -gline-tables-only" \
    -DCMAKE_CXX_FLAGS_RELEASE="-O1 -gline-tables-only" \
    -DDREAMC_SANITIZE=ON
fi

if [ "${1:-}" = "--build" ]; then
  shift
  nice ninja -C "$build" -j"$jobs" "$@"
  exit 0
fi
nice ninja -C "$build" -j"$jobs"

reports="$build/sanitizer-reports"
rm -rf "$reports"
mkdir -p "$reports"
export ASAN_SYMBOLIZER_PATH=/usr/bin/llvm-symbolizer-19
export UBSAN_SYMBOLIZER_PATH=/usr/bin/llvm-symbolizer-19
# log_path: a report is found even when a test expects its program to fail.
export ASAN_OPTIONS="log_path=$reports/asan:detect_leaks=1:detect_stack_use_after_return=1:check_initialization_order=1"
export UBSAN_OPTIONS="log_path=$reports/ubsan:print_stacktrace=1:halt_on_error=1"

status=0
ctest --test-dir "$build" --output-on-failure -j "$jobs" "$@" || status=1
if [ -n "$(ls -A "$reports")" ]; then
  for report in "$reports"/*; do
    echo "=== $report"
    cat "$report"
  done
  echo "sanitize.sh: $(ls "$reports" | wc -l) sanitizer report(s) in $reports"
  status=1
fi
[ $status -eq 0 ] && echo "sanitize.sh: every test passed and no sanitizer reported anything"
exit $status
