#!/usr/bin/env bash
# Builds knob and runs every test (the doctest binary and the Optuna interop test).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
ctest --test-dir build --output-on-failure
