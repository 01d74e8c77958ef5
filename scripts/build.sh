#!/usr/bin/env bash
# Configures and builds knob (Release) into build/. Re-running only rebuilds what changed.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build
