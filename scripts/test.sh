#!/usr/bin/env bash
# Sets up a Debian 12 machine, builds pacer's tests and runs them: an optimised
# build, then under AddressSanitizer and UndefinedBehaviorSanitizer, then the
# engine tests under ThreadSanitizer, then a short run of every libFuzzer target.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup-debian.sh

jobs=$(nproc)
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)

run_suite() {
  local dir=$1
  shift
  cmake -S . -B "$dir" -G Ninja "${launcher[@]}" "$@" >/dev/null
  cmake --build "$dir" -j "$jobs"
  (cd "$dir" && ctest -j "$jobs" --output-on-failure --timeout 300)
}

echo "== optimised build (with a smoke run of every micro-benchmark)"
run_suite build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPACER_BUILD_BENCHMARKS=ON
if [ "${PACER_SKIP_SANITIZERS:-0}" != 1 ]; then
  echo "== ASan + UBSan build"
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    run_suite build-sanitize -DCMAKE_BUILD_TYPE=Debug -DPACER_SANITIZE=ON
  echo "== ThreadSanitizer build (the engine and fault tests)"
  cmake -S . -B build-tsan -G Ninja "${launcher[@]}" -DCMAKE_BUILD_TYPE=Debug -DPACER_TSAN=ON >/dev/null
  cmake --build build-tsan -j "$jobs" --target pacer_engine_tests
  (cd build-tsan && TSAN_OPTIONS=halt_on_error=1 ctest -j "$jobs" -L tsan --output-on-failure --timeout 300)
fi
if [ "${PACER_SKIP_FUZZ:-0}" != 1 ]; then
  # libFuzzer needs clang; each fuzzer replays its seed corpus, then fuzzes for 20 s.
  echo "== fuzzing (clang, libFuzzer)"
  cmake -S . -B build-fuzz -G Ninja "${launcher[@]}" -DCMAKE_CXX_COMPILER=clang++ \
    -DPACER_BUILD_FUZZERS=ON -DPACER_BUILD_TESTS=OFF -DPACER_BUILD_EXAMPLES=OFF >/dev/null
  cmake --build build-fuzz -j "$jobs" --target pacer_fuzzers
  (cd build-fuzz && ctest -L fuzz -j "$jobs" --output-on-failure --timeout 300)
fi
