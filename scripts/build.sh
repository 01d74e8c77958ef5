#!/usr/bin/env bash
# Configures and builds knob (Release) into build/. Re-running only rebuilds what changed.
# $KNOB_CMAKE_ARGS adds configure options (the Docker images turn tests and benchmarks off).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck disable=SC2086
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release ${KNOB_CMAKE_ARGS:-} >/dev/null
cmake --build build
