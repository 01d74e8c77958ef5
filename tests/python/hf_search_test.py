#!/usr/bin/python3
"""`Trainer.hyperparameter_search` under `knob run` with knob.hf.hyperparameter_search
(tests/tools/hf_search_trainer.py: a real transformers.Trainer, Optuna-style hp_space).

Usage: hf_search_test.py PATH/TO/knob PATH/TO/VENV_PYTHON
Exits 77 (skipped) when that Python is missing or has no transformers (scripts/python_peers.sh).
Checks: each trial is one training run with the hp_space's suggestions (stored with
their distributions), every evaluation's objective is reported at its global step
and the trial's value is the last one (as the Trainer's own search returns), one
worker serves the trials, and a direction that contradicts the study file fails
the trials naming both.
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


def run_study(name, n_trials, direction_in_script, code, unchanged=False):
    folder = tempfile.mkdtemp(prefix="knob-hf-search-")
    for script in ("hf_search_trainer.py", "hf_tiny_task.py"):
        shutil.copy(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools", script), folder)
    with open(os.path.join(folder, "study.yaml"), "w") as f:
        f.write("study: %s\ndirection: maximize\nn_trials: %d\nsampler: {name: tpe, seed: 1, n_startup_trials: 2}\n"
                "pruner: {name: median, n_startup_trials: 2}\n"
                "trainer:\n  command: [%s, %shf_search_trainer.py]\n  env: {DIRECTION: %s, UNCHANGED: '%s'}\n"
                "resources: {gpus: none, cpu_slots: 1}\n"
                % (name, n_trials, PYTHON, "-m, knob, " if unchanged else "", direction_in_script,
                   "1" if unchanged else ""))
    r = subprocess.run([KNOB, "run", os.path.join(folder, "study.yaml")], capture_output=True, text=True, timeout=900)
    assert r.returncode == code, (r.returncode, r.stderr[-4000:])
    db = sqlite3.connect(os.path.join(folder, "knob.db"))
    trials = {}
    for number, state, trial_id in db.execute("SELECT number, state, trial_id FROM trials"):
        reports = db.execute("SELECT step, intermediate_value FROM trial_intermediate_values WHERE trial_id = ? "
                             "ORDER BY step", (trial_id,)).fetchall()
        params = {n: (v, json.loads(d)) for n, v, d in
                  db.execute("SELECT param_name, param_value, distribution_json FROM trial_params WHERE trial_id = ?",
                             (trial_id,))}
        attrs = {k: json.loads(v) for k, v in
                 db.execute("SELECT key, value_json FROM trial_system_attributes WHERE trial_id = ?", (trial_id,))}
        value = db.execute("SELECT value FROM trial_values WHERE trial_id = ?", (trial_id,)).fetchone()
        trials[number] = {"state": state, "reports": reports, "params": params, "attrs": attrs,
                          "value": value[0] if value else None}
    return folder, trials


def check_trials(folder, trials, name, n_trials):
    """Each trial ran the hp_space's suggestions, reported every evaluation, and one worker served them."""
    assert sorted(trials) == list(range(n_trials)), trials
    assert all(t["state"] in ("COMPLETE", "PRUNED") for t in trials.values()), trials
    for number, t in trials.items():
        lr, lr_dist = t["params"]["learning_rate"]
        assert lr_dist["name"] == "FloatDistribution" and lr_dist["attributes"]["log"], lr_dist
        assert 1e-4 <= lr <= 1e-2, lr
        index, bs_dist = t["params"]["per_device_train_batch_size"]
        assert bs_dist["name"] == "CategoricalDistribution" and bs_dist["attributes"]["choices"] == [16, 32], bs_dist
        batch = bs_dist["attributes"]["choices"][int(index)]
        steps_per_epoch = 1024 // batch
        steps = [s for s, _ in t["reports"]]
        # One report per epoch at its global step: the run used the suggested batch size.
        assert steps and steps == [steps_per_epoch * (e + 1) for e in range(len(steps))], (number, batch, steps)
        if t["state"] == "COMPLETE":
            assert len(steps) == 4, (number, steps)
            assert t["value"] == t["reports"][-1][1], (number, t["value"], t["reports"])
        log = open(os.path.join(folder, "knob-runs", name, "trial-%05d" % number, "trainer.log")).read()
        # One worker served every trial: each after the first began after the last one ended.
        assert (number == 0) != ("after this worker's last trial ended" in log), (number, log[-1500:])
        assert "best run" not in log, log[-1500:]  # the search call never returned
    complete = [t["value"] for t in trials.values() if t["state"] == "COMPLETE"]
    assert complete and max(complete) > 0.9, trials
    return max(complete)


folder, trials = run_study("search", 5, "maximize", 0)
best = check_trials(folder, trials, "search", 5)

# The script's direction contradicts the study file's: the trials fail naming both, and the run stops.
_, wrong = run_study("wrong", 4, "minimize", 1)
reasons = [t["attrs"].get("knob:fail_reason", "") for t in wrong.values()]
assert all("hyperparameter_search says direction ['minimize'], the study file ['maximize']" in r
           for r in reasons), reasons
print("ok   Trainer.hyperparameter_search as knob.hf.hyperparameter_search: %d trials, best %.3f; a contradicting "
      "direction fails its trials" % (len(trials), best))

# The Trainer's own call, the script run as `python3 -m knob hf_search_trainer.py`.
folder, trials = run_study("unchanged", 3, "maximize", 0, unchanged=True)
best = check_trials(folder, trials, "unchanged", 3)
print("ok   trainer.hyperparameter_search itself under `python3 -m knob`: %d trials, best %.3f" % (len(trials), best))
