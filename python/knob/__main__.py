"""`python3 -m knob SCRIPT ARGS...`: an Optuna or HF search script, unchanged, as a knob trainer (unchanged.py)."""
import sys

from .unchanged import run

sys.exit(run(sys.argv[1:]))
