#!/usr/bin/python3
"""A real transformers.Trainer under `knob run` with knob.hf (tests/tools/hf_tiny_trainer.py).

Usage: hf_trainer_test.py PATH/TO/knob PATH/TO/VENV_PYTHON
Exits 77 (skipped) when that Python is missing or has no transformers (scripts/python_peers.sh).
Checks: evaluations are reported at global steps, the study learns, a trial that
dies after its epoch-2 checkpoint is retried and resumes there (the retry trains
only the remaining epochs and ends at the full step count).
"""
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hf_peers  # noqa: E402

KNOB, PYTHON = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
hf_peers.skip_without_transformers(PYTHON)

folder = tempfile.mkdtemp(prefix="knob-hf-")
for script in ("hf_tiny_trainer.py", "hf_tiny_task.py"):
    shutil.copy(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools", script), folder)
with open(os.path.join(folder, "study.yaml"), "w") as f:
    f.write("study: hf\ndirection: maximize\nn_trials: 5\nsampler: {name: random, seed: 1}\n"
            "pruner: {name: median, n_startup_trials: 2}\n"
            "space: {learning_rate: {type: float, low: 1.0e-4, high: 1.0e-2, log: true}}\n"
            "trainer:\n  command: [%s, hf_tiny_trainer.py]\n  retries: 1\n"
            "  env: {CRASH_TRIAL: 0, CRASH_AFTER_EPOCH: 2}\n"
            "resources: {gpus: none, cpu_slots: 2}\n" % PYTHON)
r = subprocess.run([KNOB, "run", os.path.join(folder, "study.yaml")], capture_output=True, text=True, timeout=900)
assert r.returncode == 0, r.stderr[-4000:]

db = sqlite3.connect(os.path.join(folder, "knob.db"))
trials = {}
for number, state, trial_id in db.execute("SELECT number, state, trial_id FROM trials"):
    steps = [s for (s,) in db.execute("SELECT step FROM trial_intermediate_values WHERE trial_id = ? ORDER BY step",
                                      (trial_id,))]
    attrs = {k: json.loads(v) for k, v in
             db.execute("SELECT key, value_json FROM trial_system_attributes WHERE trial_id = ?", (trial_id,))}
    value = db.execute("SELECT value FROM trial_values WHERE trial_id = ?", (trial_id,)).fetchone()
    trials[number] = {"state": state, "steps": steps, "attrs": attrs, "value": value[0] if value else None}

steps_per_epoch = 1024 // 32
assert trials[0]["state"] == "FAIL" and trials[0]["attrs"]["knob:fail_reason"].startswith("exit code 3"), trials[0]
retry = [n for n, t in trials.items() if t["attrs"].get("failed_trial") == 0]
assert len(retry) == 1, trials
retry = retry[0]
assert trials[retry]["state"] in ("COMPLETE", "PRUNED"), trials[retry]
done = [t for t in trials.values() if t["state"] in ("COMPLETE", "PRUNED")]
assert len(done) == 5, trials
for t in done:
    assert t["steps"] and all(s % steps_per_epoch == 0 for s in t["steps"]), t  # global steps, one per epoch
    if t["state"] == "COMPLETE":
        assert len(t["steps"]) == 5 or t is trials[retry], t
assert max(t["value"] for t in done if t["state"] == "COMPLETE") > 0.9, trials

# The retry resumed from the first attempt's epoch-2 checkpoint: it reported epochs 3.. only, and
# trained to the same final step as an uninterrupted run.
log = open(os.path.join(folder, "knob-runs", "hf", "trial-%05d" % retry, "trainer.log")).read()
first = os.path.join(folder, "knob-runs", "hf", "trial-00000", "out", "checkpoint-%d" % (2 * steps_per_epoch))
assert "resuming from " + first in log, log[-2000:]
assert trials[retry]["steps"][0] == 3 * steps_per_epoch, trials[retry]
if trials[retry]["state"] == "COMPLETE":
    assert "trained to step %d" % (5 * steps_per_epoch) in log, log[-2000:]
print("ok   a real transformers.Trainer: %d trials, best %.3f, trial 0 resumed as trial %d"
      % (len(done), max(t["value"] or 0 for t in done), retry))
