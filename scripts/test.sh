#!/usr/bin/env bash
# Builds knob and runs every test with ctest: the doctest binary, the Optuna interop
# and pruner tests, and (where Debian's postgresql is installed) the shared-storage
# tests against a throw-away PostgreSQL server that ctest starts on loopback, and a
# real Hugging Face Trainer (transformers from PyPI in build/py-peers).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
scripts/python_peers.sh build/py-peers   # transformers from PyPI, for the HF Trainer test
ctest --test-dir build --output-on-failure
