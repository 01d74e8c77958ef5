#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to a finished study: installs the
# packages, builds knob, and runs examples/ask_tell_study.sh on SQLite (CPU only).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh
scripts/build.sh
examples/ask_tell_study.sh build/knob quickstart.db
