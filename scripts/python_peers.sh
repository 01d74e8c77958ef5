#!/usr/bin/env bash
# The Python peers that tests and benchmarks need beyond Debian's packages, from
# PyPI into a virtual environment that sees Debian's own (python3-torch, -optuna):
#   scripts/python_peers.sh [VENV]     (default: build/py-peers)
# transformers 4.44 and accelerate 0.34 are the last to support Debian's torch 1.13.
# Idempotent; without network it says so and exits 0 (the tests that need them skip).
set -uo pipefail
cd "$(dirname "$0")/.."
venv=${1:-build/py-peers}
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "import transformers, accelerate" 2>/dev/null; then
  exit 0
fi
/usr/bin/python3 -m venv --system-site-packages "$venv" || exit 0
if ! "$venv/bin/pip" install -q --disable-pip-version-check "transformers==4.44.2" "accelerate==0.34.2"; then
  echo "python_peers: could not install transformers from PyPI; the tests that need it skip" >&2
fi
exit 0
