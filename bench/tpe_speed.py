#!/usr/bin/python3
"""TPE speed with N finished trials of 10 params, knob against Optuna 3.1 in the same
run: one ask in process, and one ask + tell through the command line.

Usage: bench/tpe_speed.py BUILD_DIR [--sizes 100,1000,10000]

Space (reference/optuna.md 8.2): 3 float, 3 log-float, 2 int (one log), 2 categorical(4).
In process: knob's Study.Ask on its in-memory storage (bench/tpe_bench.cc; one Study
object, as a long-running worker holds it) against Optuna's study.ask() + suggest_* on its
in-memory storage; both default TPE; each trial is told outside the timing.
CLI: `knob ask`/`knob tell` against `optuna ask`/`optuna tell` (TPESampler), each on its
own copy of one SQLite study of N finished trials (written by `knob_tpe_bench fill`).
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
import warnings

import optuna
from bench_common import median_ms, time_cli_pairs
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

optuna.logging.set_verbosity(optuna.logging.ERROR)
warnings.simplefilter("ignore")

# The same space for Optuna (SPACE) and knob (KNOB_SPACE, also passed to knob_tpe_bench).
SPACE = {
    "f0": FloatDistribution(0, 1), "f1": FloatDistribution(0, 1), "f2": FloatDistribution(0, 1),
    "l0": FloatDistribution(1e-5, 1, log=True), "l1": FloatDistribution(1e-5, 1, log=True),
    "l2": FloatDistribution(1e-5, 1, log=True),
    "i0": IntDistribution(0, 100), "i1": IntDistribution(1, 1000, log=True),
    "c0": CategoricalDistribution(["a", "b", "c", "d"]), "c1": CategoricalDistribution(["a", "b", "c", "d"]),
}
KNOB_SPACE = {
    "f0": {"type": "float", "low": 0, "high": 1}, "f1": {"type": "float", "low": 0, "high": 1},
    "f2": {"type": "float", "low": 0, "high": 1},
    "l0": {"type": "float", "low": 1e-5, "high": 1, "log": True},
    "l1": {"type": "float", "low": 1e-5, "high": 1, "log": True},
    "l2": {"type": "float", "low": 1e-5, "high": 1, "log": True},
    "i0": {"type": "int", "low": 0, "high": 100}, "i1": {"type": "int", "low": 1, "high": 1000, "log": True},
    "c0": {"type": "categorical", "choices": ["a", "b", "c", "d"]},
    "c1": {"type": "categorical", "choices": ["a", "b", "c", "d"]},
}


def fill(study, n):
    sampler = optuna.samplers.RandomSampler(seed=1)
    trials = []
    for i in range(n):
        t = optuna.trial.create_trial(
            params={k: sampler.sample_independent(None, None, k, d) for k, d in SPACE.items()},
            distributions=SPACE, value=float(i % 97) / 97)
        trials.append(t)
    study.add_trials(trials)


def optuna_in_process(n, reps):
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=0))
    fill(study, n)
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        trial = study.ask()
        for name, d in SPACE.items():
            trial._suggest(name, d)
        times.append(time.perf_counter() - start)
        study.tell(trial, 1.0)
    return statistics.median(times) * 1e3


def knob_in_process(build, n, reps):
    out = subprocess.run([os.path.join(build, "bench", "knob_tpe_bench"), "speed", '{"name": "tpe"}', str(n),
                          str(reps), json.dumps(KNOB_SPACE)], check=True, capture_output=True, text=True).stdout
    return json.loads(out)["median_ms"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("build")
    parser.add_argument("--sizes", default="100,1000,10000")
    args = parser.parse_args()
    knob = os.path.join(args.build, "knob")
    sizes = list(map(int, args.sizes.split(",")))

    print("in process, median ms for one ask (10 params):")
    print(f"{'trials':>8} {'knob tpe':>10} {'optuna tpe':>11} {'ratio':>7}")
    for n in sizes:
        k = knob_in_process(args.build, n, 20)
        o = optuna_in_process(n, 3 if n >= 10000 else 7)
        print(f"{n:8d} {k:10.2f} {o:11.1f} {o / k:6.0f}x")

    print("CLI, median ms for one ask+tell pair on SQLite (10 params):")
    print(f"{'trials':>8} {'knob tpe':>10} {'optuna tpe':>11} {'ratio':>7}")
    optuna_space = json.dumps({name: json.loads(optuna.distributions.distribution_to_json(d))
                               for name, d in SPACE.items()})
    for n in sizes:
        with tempfile.TemporaryDirectory() as folder:
            base = os.path.join(folder, "base.db")
            subprocess.run([os.path.join(args.build, "bench", "knob_tpe_bench"), "fill", base, str(n),
                            json.dumps(KNOB_SPACE)], check=True)
            knob_db, optuna_db = os.path.join(folder, "k.db"), os.path.join(folder, "o.db")
            shutil.copy(base, knob_db)
            shutil.copy(base, optuna_db)
            k = median_ms(time_cli_pairs(
                [knob, "ask", "--storage", knob_db, "--study", "s"],
                lambda t: [knob, "tell", "--storage", knob_db, "--study", "s", "--trial", str(t),
                           "--value", "1.0"], 20))
            o = median_ms(time_cli_pairs(
                ["optuna", "ask", "--storage", "sqlite:///" + optuna_db, "--study-name", "s",
                 "--sampler", "TPESampler", "--search-space", optuna_space],
                lambda t: ["optuna", "tell", "--storage", "sqlite:///" + optuna_db, "--study-name", "s",
                           "--trial-number", str(t), "--values", "1.0"], 2 if n >= 10000 else 3))
        print(f"{n:8d} {k:10.1f} {o:11.0f} {o / k:6.0f}x")


if __name__ == "__main__":
    main()
