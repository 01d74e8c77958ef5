#!/usr/bin/python3
"""`knob importance` against Optuna 3.1's `get_param_importances` (fANOVA) on the same studies.

Usage: importance_interop_test.py PATH/TO/knob
Optuna 3.1 writes each study (random sampler, 120 trials) into SQLite; knob reads
the file. Stated tolerance: every parameter's importance within 0.1 of Optuna's
(averaged over Optuna's seeds 0-2, since one forest varies by about that much),
and the same order for every pair of parameters whose Optuna importances differ
by more than 0.1. Parameters only some trials have are left out by both.
"""
import json
import math
import os
import subprocess
import sys
import tempfile

import optuna

KNOB = os.path.abspath(sys.argv[1])
TOLERANCE = 0.1
optuna.logging.set_verbosity(optuna.logging.WARNING)
failures = []


def additive(trial):
    x = trial.suggest_float("x", 0, 1)
    y = trial.suggest_float("y", 0, 1)
    z = trial.suggest_float("z", 0, 1)
    w = trial.suggest_float("w", 0, 1)
    return 5 * x + 2 * y + 0.5 * z + 0 * w


def mixed(trial):
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    layers = trial.suggest_int("layers", 1, 8)
    optimizer = trial.suggest_categorical("optimizer", ["sgd", "adam", "rmsprop"])
    dropout = trial.suggest_float("dropout", 0.0, 0.5)
    penalty = {"sgd": 0.6, "adam": 0.0, "rmsprop": 0.2}[optimizer]
    return (math.log10(lr) + 3) ** 2 * 0.02 + abs(layers - 4) * 0.1 + penalty + dropout * 0.05


def conditional(trial):
    kind = trial.suggest_categorical("kind", ["a", "b"])
    x = trial.suggest_float("x", -3, 3)
    if kind == "a":
        trial.suggest_float("only_a", 0, 1)  # some trials only: left out
    return x * x + (1.0 if kind == "b" else 0.0)


def knob_importances(storage, name):
    r = subprocess.run([KNOB, "importance", "--storage", storage, "--study", name, "--format", "json"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return {row["param"]: row["importance"] for row in json.loads(r.stdout)}


def compare(name, objective):
    folder = tempfile.mkdtemp(prefix="knob-importance-")
    storage = "sqlite:///" + os.path.join(folder, "s.db")
    study = optuna.create_study(study_name=name, storage=storage, sampler=optuna.samplers.RandomSampler(seed=1))
    study.optimize(objective, n_trials=120)
    runs = [optuna.importance.get_param_importances(
        study, evaluator=optuna.importance.FanovaImportanceEvaluator(seed=s)) for s in range(3)]
    theirs = {p: sum(r[p] for r in runs) / len(runs) for p in runs[0]}
    ours = knob_importances(storage, name)
    print(f"{name}: optuna {json.dumps({k: round(v, 3) for k, v in theirs.items()})}")
    print(f"{name}: knob   {json.dumps({k: round(v, 3) for k, v in ours.items()})}")
    if set(ours) != set(theirs):
        failures.append(f"{name}: knob judges {sorted(ours)}, Optuna {sorted(theirs)}")
        return
    for p in theirs:
        if abs(ours[p] - theirs[p]) > TOLERANCE:
            failures.append(f"{name}: {p} is {ours[p]:.3f} in knob, {theirs[p]:.3f} in Optuna")
    for a in theirs:
        for b in theirs:
            if theirs[a] > theirs[b] + TOLERANCE and not ours[a] > ours[b]:
                failures.append(f"{name}: Optuna ranks {a} above {b}, knob does not")


for name, objective in [("additive", additive), ("mixed", mixed), ("conditional", conditional)]:
    compare(name, objective)
print("importance_interop:", "FAILED " + "; ".join(failures) if failures else "ok")
sys.exit(1 if failures else 0)
