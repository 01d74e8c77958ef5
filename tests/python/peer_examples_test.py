#!/usr/bin/python3
"""Optuna's sklearn_simple.py and pytorch_simple.py run under `knob run`, unchanged
but for two added lines (peer_examples.py), with small budgets; and sklearn_simple.py
with no line changed, as `python3 -m knob sklearn_simple.py`.

Usage: peer_examples_test.py PATH/TO/knob PATH/TO/peer-examples/optuna-examples
"""
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peer_examples  # noqa: E402

KNOB, EXAMPLES = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])


def run_example(script, n_trials, slots, fashion_mnist=False, unchanged=False):
    folder = tempfile.mkdtemp(prefix="knob-peer-")
    if unchanged:  # the file as Optuna ships it, run by `python3 -m knob`
        name = os.path.basename(shutil.copy(os.path.join(EXAMPLES, script), folder))
        study = peer_examples.study_file("peer", name, n_trials, slots).replace(
            "/usr/bin/python3, ", "/usr/bin/python3, -m, knob, ")
    else:
        name = peer_examples.prepare(os.path.join(EXAMPLES, script), folder, fashion_mnist)
        study = peer_examples.study_file("peer", name, n_trials, slots)
    with open(os.path.join(folder, "study.yaml"), "w") as f:
        f.write(study)
    r = subprocess.run([KNOB, "run", os.path.join(folder, "study.yaml")], capture_output=True, text=True,
                       timeout=900)
    assert r.returncode == 0, r.stderr[-4000:]
    db = sqlite3.connect(os.path.join(folder, "knob.db"))
    states = [s for (s,) in db.execute("SELECT state FROM trials")]
    assert len(states) == n_trials and set(states) <= {"COMPLETE", "PRUNED"}, (states, r.stderr[-3000:])
    best = json.loads(subprocess.run([KNOB, "best-trial", os.path.join(folder, "study.yaml"), "--format", "json"],
                                     capture_output=True, text=True, check=True).stdout)
    return folder, best, r.stderr


# sklearn: the objective's branches define the space: svc_c only with SVC, rf_max_depth only with RandomForest.
folder, best, _ = run_example("sklearn_simple.py", 12, 2)
assert 0.5 < best["value"] <= 1.0, best
db = sqlite3.connect(os.path.join(folder, "knob.db"))
for trial_id, in db.execute("SELECT trial_id FROM trials"):
    params = dict(db.execute("SELECT param_name, param_value FROM trial_params WHERE trial_id = ?", (trial_id,)))
    assert ("svc_c" in params) != ("rf_max_depth" in params), params
print("ok   sklearn_simple.py: best accuracy %.3f" % best["value"])

# The same example, not a line changed: study.optimize is served to knob.
folder, best, _ = run_example("sklearn_simple.py", 6, 2, unchanged=True)
assert 0.5 < best["value"] <= 1.0, best
print("ok   sklearn_simple.py unchanged, under python3 -m knob: best accuracy %.3f" % best["value"])

# PyTorch on Fashion-MNIST (Debian's copy, offline): per-layer loops of suggestions, median pruning.
folder, best, err = run_example("pytorch_simple.py", 4, 2, fashion_mnist=True)
assert 0.1 < best["value"] <= 1.0, best
layers = best["params"]["n_layers"]
assert all(("n_units_l%d" % i in best["params"]) == (i < layers) for i in range(3)), best["params"]
print("ok   pytorch_simple.py: best accuracy %.3f" % best["value"])
