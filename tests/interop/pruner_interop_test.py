#!/usr/bin/python3
"""knob's pruners decide as Optuna 3.1's do.

Usage: pruner_interop_test.py PATH/TO/knob
For each pruner configuration, the same learning curves (seeded, some with NaN
steps, some reporting every other step) are reported to a knob study through
`knob report` and to an in-memory Optuna study through `trial.report`; at every
report the two prune decisions must agree, and the trial then ends the same way
in both (PRUNED at the first prune, else COMPLETE with its last value).
"""
import json
import math
import os
import random
import subprocess
import sys
import tempfile
import warnings
import zlib

import optuna

optuna.logging.set_verbosity(optuna.logging.ERROR)
warnings.simplefilter("ignore")

KNOB = sys.argv[1]

# Pruner factories: Optuna's hyperband keeps state, so each case gets a fresh one.
CASES = [
    ("median", {}, lambda: optuna.pruners.MedianPruner()),
    ("median-warmup", {"name": "median", "n_startup_trials": 2, "n_warmup_steps": 2, "interval_steps": 3},
     lambda: optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=2, interval_steps=3)),
    ("percentile", {"name": "percentile", "percentile": 25.0, "n_startup_trials": 3, "n_min_trials": 2},
     lambda: optuna.pruners.PercentilePruner(25.0, n_startup_trials=3, n_min_trials=2)),
    ("asha", {"name": "asha", "min_resource": 1, "reduction_factor": 3},
     lambda: optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3)),
    ("asha-auto", {"name": "asha", "min_early_stopping_rate": 1},
     lambda: optuna.pruners.SuccessiveHalvingPruner(min_early_stopping_rate=1)),
    ("asha-bootstrap", {"name": "asha", "min_resource": 2, "reduction_factor": 2, "bootstrap_count": 2},
     lambda: optuna.pruners.SuccessiveHalvingPruner(min_resource=2, reduction_factor=2, bootstrap_count=2)),
    ("hyperband", {"name": "hyperband", "min_resource": 1, "max_resource": 12, "reduction_factor": 2},
     lambda: optuna.pruners.HyperbandPruner(min_resource=1, max_resource=12, reduction_factor=2)),
    ("hyperband-auto", {"name": "hyperband", "reduction_factor": 3},
     lambda: optuna.pruners.HyperbandPruner(reduction_factor=3)),
    ("threshold", {"name": "threshold", "lower": 0.2, "upper": 2.5, "n_warmup_steps": 1},
     lambda: optuna.pruners.ThresholdPruner(lower=0.2, upper=2.5, n_warmup_steps=1)),
    ("patient", {"name": "patient", "patience": 2, "min_delta": 0.01, "wrapped": {"name": "median"}},
     lambda: optuna.pruners.PatientPruner(optuna.pruners.MedianPruner(), patience=2, min_delta=0.01)),
    ("patient-alone", {"name": "patient", "patience": 1},
     lambda: optuna.pruners.PatientPruner(None, patience=1)),
]


def knob(*args):
    r = subprocess.run([KNOB, *args], capture_output=True, text=True)
    if r.returncode != 0:
        raise AssertionError(f"knob {' '.join(args)} failed ({r.returncode}): {r.stderr}")
    return r.stdout


def curve(rng, direction):
    """Steps and values of one trial: a noisy learning curve."""
    quality = rng.uniform(0.5, 2.0)
    stride = rng.choice([1, 1, 2])
    steps = list(range(stride, 13, stride))
    values = []
    for s in steps:
        loss = quality / (1 + 0.3 * s) + rng.gauss(0, 0.05)
        values.append(loss if direction == "minimize" else -loss)
    if rng.random() < 0.1:
        values[rng.randrange(len(values))] = float("nan")
    return steps, values


def run_case(folder, name, spec, optuna_pruner, direction, seed):
    storage = os.path.join(folder, f"{name}-{direction}.db")
    study = f"study-{name}"
    knob("create-study", "--storage", storage, "--study", study, "--direction", direction,
         "--sampler", "random", "--pruner", json.dumps(spec) if spec else "median",
         "--space", '{"x": {"type": "float", "low": 0, "high": 1}}')
    reference = optuna.create_study(study_name=study, direction=direction, pruner=optuna_pruner())
    rng = random.Random(zlib.crc32(f"{name}-{direction}-{seed}".encode()))
    decisions = 0
    for _ in range(25):
        number = json.loads(knob("ask", "--storage", storage, "--study", study, "--format", "json"))["number"]
        trial = reference.ask()
        assert trial.number == number, (trial.number, number)
        steps, values = curve(rng, direction)
        pruned = False
        for step, value in zip(steps, values):
            out = knob("report", "--storage", storage, "--study", study, "--trial", str(number),
                       "--step", str(step), "--value", repr(value), "--format", "json")
            knob_prune = json.loads(out)["prune"]
            trial.report(value, step)
            optuna_prune = trial.should_prune()
            decisions += 1
            if knob_prune != optuna_prune:
                raise AssertionError(f"{name}/{direction} trial {number} step {step}: knob prune={knob_prune}, "
                                     f"optuna prune={optuna_prune}")
            if knob_prune:
                pruned = True
                break
        if pruned:
            knob("tell", "--storage", storage, "--study", study, "--trial", str(number), "--state", "pruned")
            reference.tell(trial, state=optuna.trial.TrialState.PRUNED)
        else:
            final = values[-1] if not math.isnan(values[-1]) else 1.0
            knob("tell", "--storage", storage, "--study", study, "--trial", str(number), "--value", repr(final))
            reference.tell(trial, final)
    states = [t.state.name for t in reference.trials]
    return decisions, states.count("PRUNED")


def main():
    failed = 0
    for name, spec, pruner in CASES:
        for direction in ("minimize", "maximize"):
            for seed in range(2):
                with tempfile.TemporaryDirectory() as folder:
                    try:
                        decisions, pruned = run_case(folder, name, spec, pruner, direction, seed)
                        print(f"ok   {name} {direction} seed {seed}: {decisions} decisions agree, "
                              f"{pruned} of 25 pruned")
                    except Exception as e:
                        failed += 1
                        print(f"FAIL {name} {direction} seed {seed}: {e}")
    print("all pruners agree with Optuna" if not failed else f"{failed} cases disagree")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
