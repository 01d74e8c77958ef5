#!/usr/bin/python3
"""`knob run` benchmarks, each printing a ratio against Optuna measured in the same run.

Usage: run_bench.py BUILD_DIR overhead [--trials N] [--slots S]
       run_bench.py BUILD_DIR asha [--trials N] [--steps S]

overhead: a trainer that exits at once with its value (build/knob_scripted_trainer),
  N trials on S CPU slots, SQLite storage, random sampler. Prints knob's trials per
  second, and the gap between one trial's end and the next trial's start in the
  same slot (median and 99th percentile, from the trainers' own monotonic clocks),
  against Optuna 3.1's study.optimize(n_jobs=S) starting the same trainer with
  subprocess.run on the same kind of storage.
asha: a learning-curve trainer (steps 1..S, rank-preserving curves); the same
  study with the nop pruner and with ASHA (min_resource 1, reduction_factor 3),
  random and TPE samplers: steps trained and best value of each, and the ratio;
  Optuna's SuccessiveHalvingPruner on the same curves for comparison.
"""
import argparse
import json
import math
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import warnings

warnings.simplefilter("ignore")


def knob_run(build, folder, name, body):
    path = os.path.join(folder, name + ".yaml")
    with open(path, "w") as f:
        f.write(body)
    start = time.perf_counter()
    r = subprocess.run([os.path.join(build, "knob"), "run", path], capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if r.returncode != 0:
        sys.exit(f"knob run failed ({r.returncode}): {r.stderr[-2000:]}")
    return elapsed


def trials_json(build, db, study):
    out = subprocess.run([os.path.join(build, "knob"), "trials", "--storage", db, "--study", study,
                          "--format", "json"], capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def overhead(build, trials, slots):
    import optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    trainer = os.path.abspath(os.path.join(build, "knob_scripted_trainer"))
    with tempfile.TemporaryDirectory() as folder:
        body = (f"study: overhead\nstorage: o.db\nn_trials: {trials}\nsampler: {{name: random, seed: 1}}\n"
                f"pruner: nop\nspace: {{x: {{type: float, low: 0, high: 1}}}}\n"
                f"trainer:\n  command: [{trainer}, --mode, env]\n"
                f"resources: {{gpus: none, cpu_slots: {slots}}}\n")
        knob_s = knob_run(build, folder, "overhead", body)
        db = os.path.join(folder, "o.db")
        # Gaps per slot, from the trainers' own clocks and knob's slot records.
        con = sqlite3.connect(db)
        rows = con.execute(
            "SELECT t.number, s.value_json, u.value_json FROM trials t "
            "JOIN trial_system_attributes s ON s.trial_id = t.trial_id AND s.key = 'knob:slot' "
            "JOIN trial_user_attributes u ON u.trial_id = t.trial_id AND u.key = 'metrics'").fetchall()
        by_slot = {}
        for number, slot, metrics in rows:
            m = json.loads(metrics)
            by_slot.setdefault(json.loads(slot)["index"], []).append((m["start"], m["end"]))
        gaps = []
        for runs in by_slot.values():
            runs.sort()
            gaps += [b[0] - a[1] for a, b in zip(runs, runs[1:])]
        gaps.sort()

        storage = "sqlite:///" + os.path.join(folder, "optuna.db")
        study = optuna.create_study(storage=storage, sampler=optuna.samplers.RandomSampler(seed=1))

        def objective(trial):
            x = trial.suggest_float("x", 0, 1)
            out = subprocess.run([trainer, "--mode", "stdout", "--value", repr(x)],
                                 capture_output=True, text=True).stdout
            for line in out.splitlines():
                if line.startswith('{"knob_result"'):
                    return json.loads(line)["knob_result"]
            raise RuntimeError("no result")

        start = time.perf_counter()
        study.optimize(objective, n_trials=trials, n_jobs=slots)
        optuna_s = time.perf_counter() - start
    knob_rate, optuna_rate = trials / knob_s, trials / optuna_s
    print(f"orchestration: {trials} instant trials, {slots} slots, SQLite, random sampler")
    print(f"  knob run:   {knob_rate:8.1f} trials/s ({knob_s:.2f} s)")
    print(f"  Optuna 3.1: {optuna_rate:8.1f} trials/s ({optuna_s:.2f} s; optimize(n_jobs={slots}) + subprocess.run)")
    print(f"  ratio knob/Optuna: {knob_rate / optuna_rate:.1f}x")
    print(f"  freed slot to next trial's start (trainer clocks): median {statistics.median(gaps) * 1e3:.2f} ms, "
          f"p99 {gaps[int(0.99 * (len(gaps) - 1))] * 1e3:.2f} ms, max {gaps[-1] * 1e3:.2f} ms")


def asha(build, trials, steps):
    import optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    trainer = os.path.abspath(os.path.join(build, "knob_scripted_trainer"))
    print(f"ASHA vs no pruning: {trials} trials of a {steps}-step learning curve, 2 slots")
    for sampler in ("random", "tpe"):
        results = {}
        with tempfile.TemporaryDirectory() as folder:
            for pruner in ("nop", "{name: asha, min_resource: 1, reduction_factor: 3}"):
                name = "nop" if pruner == "nop" else "asha"
                body = (f"study: {name}\nstorage: a.db\nn_trials: {trials}\nsampler: {{name: {sampler}, seed: 7}}\n"
                        f"pruner: {pruner}\nspace: {{x: {{type: float, low: 0, high: 1}}}}\n"
                        f"trainer:\n  command: [{trainer}, --mode, curve, --steps, '{steps}']\n"
                        f"resources: {{gpus: none, cpu_slots: 2}}\n")
                knob_run(build, folder, name, body)
                rows = trials_json(build, os.path.join(folder, "a.db"), name)
                steps_done = sum(len(r.get("intermediate_values", {})) for r in rows)
                best = min(r["value"] for r in rows if r["state"] == "COMPLETE")
                results[name] = (steps_done, best)
        (full, full_best), (cut, cut_best) = results["nop"], results["asha"]
        print(f"  knob, {sampler:6s} sampler: steps {cut}/{full} = {cut / full:.2f} of unpruned; "
              f"best {cut_best:.5f} (unpruned {full_best:.5f})")
    # Optuna's ASHA on the same curves, sequentially, for comparison.
    for pruned in (False, True):
        pruner = (optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3) if pruned
                  else optuna.pruners.NopPruner())
        study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=7), pruner=pruner)
        total = 0

        def objective(trial):
            nonlocal total
            x = trial.suggest_float("x", 0, 1)
            value = None
            for step in range(1, steps + 1):
                value = (x - 0.3) ** 2 + 1.0 / step
                total += 1
                trial.report(value, step)
                if trial.should_prune():
                    raise optuna.TrialPruned()
            return value

        study.optimize(objective, n_trials=trials)
        if not pruned:
            optuna_full = total
        else:
            print(f"  Optuna 3.1, random sampler: steps {total}/{optuna_full} = {total / optuna_full:.2f} of unpruned")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("build")
    parser.add_argument("what", choices=["overhead", "asha"])
    parser.add_argument("--trials", type=int)
    parser.add_argument("--slots", type=int, default=4)
    parser.add_argument("--steps", type=int, default=27)
    a = parser.parse_args()
    if a.what == "overhead":
        overhead(a.build, a.trials or 1000, a.slots)
    else:
        asha(a.build, a.trials or 60, a.steps)


if __name__ == "__main__":
    main()
