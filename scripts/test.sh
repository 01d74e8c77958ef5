#!/usr/bin/env bash
# Builds knob and runs every test: the doctest binary (the storage conformance
# suite also against a throw-away PostgreSQL server started here on loopback),
# the Optuna interop tests and the pruner tests.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
pg_dir=$(mktemp -d /tmp/knob-pg-XXXXXX)
pg_port=$((20000 + $$ % 20000))
trap 'scripts/pg_test_server.sh stop "$pg_dir" || true' EXIT
KNOB_TEST_POSTGRES_URL=$(scripts/pg_test_server.sh start "$pg_dir" "$pg_port")
export KNOB_TEST_POSTGRES_URL
ctest --test-dir build --output-on-failure
