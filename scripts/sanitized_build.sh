#!/usr/bin/env bash
# Configures and builds the instrumented tree build-san/ that the fuzz targets and the
# sanitized test suite share: clang, AddressSanitizer + UndefinedBehaviorSanitizer on
# every translation unit, libFuzzer's coverage hooks, LibTorch left out, line tables
# only (enough for ASan's stack traces; full debug info made this build much slower).
# One tree, so the libraries are compiled once for both scripts.
#   scripts/sanitized_build.sh TARGET ...     (used by scripts/fuzz.sh and scripts/sanitize.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build-san -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_CXX_FLAGS="-gline-tables-only" -DKNOB_SANITIZE=ON -DKNOB_FUZZ=ON -DKNOB_BUILD_BENCH=OFF \
  -DKNOB_TEST_PG_PORT=55434 >/dev/null
cmake --build build-san --target "$@"
