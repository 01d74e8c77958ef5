#!/usr/bin/env bash
# Builds knob and its test suite with AddressSanitizer and UndefinedBehaviorSanitizer
# (build-asan/, LibTorch left out) and runs the tests with ctest: the doctest binary
# (whose end-to-end tests then drive the instrumented `knob`) and the interop tests.
#   scripts/sanitize.sh [DOCTEST FILTER]   only those test cases of the doctest binary,
#                                          e.g. scripts/sanitize.sh '*hostile*' (CI's short form)
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKNOB_SANITIZE=ON \
  -DKNOB_BUILD_BENCH=OFF -DKNOB_TEST_PG_PORT=55434 >/dev/null
cmake --build build-asan
# The tests' trainers crash on purpose (SIGSEGV, SIGABRT) and must die by those
# signals, as they would unsanitized: ASan leaves those signals alone.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:handle_segv=0:handle_sigbus=0:handle_abort=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
if [ $# -gt 0 ]; then
  build-asan/tests/knob_tests --test-case="$1"
else
  ctest --test-dir build-asan --output-on-failure
fi
