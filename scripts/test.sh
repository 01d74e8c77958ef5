#!/usr/bin/env bash
# Builds knob and runs every test with ctest: the doctest binary, the Optuna interop
# and pruner tests, and (where Debian's postgresql is installed) the shared-storage
# tests against a throw-away PostgreSQL server that ctest starts on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
ctest --test-dir build --output-on-failure
