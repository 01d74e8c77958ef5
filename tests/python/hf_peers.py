"""The Hugging Face tests' one rule for skipping: the venv Python that
scripts/python_peers.sh fills must exist and import transformers and accelerate,
else the test exits 77 (ctest's skip code for these tests)."""
import os
import subprocess
import sys


def skip_without_transformers(python):
    if os.access(python, os.X_OK) and subprocess.run([python, "-c", "import transformers, accelerate"],
                                                     capture_output=True).returncode == 0:
        return
    print("SKIP: no transformers in %s (scripts/python_peers.sh installs it)" % python)
    sys.exit(77)
