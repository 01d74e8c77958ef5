#!/usr/bin/env bash
# Builds knob and its test suite with AddressSanitizer and UndefinedBehaviorSanitizer
# (build-san/, LibTorch left out, shared with scripts/fuzz.sh) and runs the tests with
# ctest: the doctest binary (whose end-to-end tests then drive the instrumented `knob`)
# and the interop tests.
#   scripts/sanitize.sh [DOCTEST FILTER]   only those test cases of the doctest binary,
#                                          e.g. scripts/sanitize.sh '*hostile*' (CI's short form)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -gt 0 ]; then
  scripts/sanitized_build.sh knob_tests   # with knob and the scripted trainer it drives
else
  scripts/sanitized_build.sh all
  scripts/python_peers.sh build-san/py-peers   # transformers from PyPI, for the HF Trainer tests
fi
# The tests' trainers crash on purpose (SIGSEGV, SIGABRT) and must die by those
# signals, as they would unsanitized: ASan leaves those signals alone.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:handle_segv=0:handle_sigbus=0:handle_abort=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
if [ $# -gt 0 ]; then
  build-san/tests/knob_tests --test-case="$1"
else
  ctest --test-dir build-san --output-on-failure
fi
