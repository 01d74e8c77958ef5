#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to a finished study: installs the
# packages, builds knob, and runs the example study of examples/python with
# `knob run` on SQLite (CPU slots: this machine has no GPU to speak of), then
# shows the best trial.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh
scripts/build.sh
build/knob run examples/python/study.yaml
build/knob best-trial --storage examples/python/learning_curve.db --study learning-curve
