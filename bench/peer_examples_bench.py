#!/usr/bin/python3
"""Optuna's own examples under `knob run` against Optuna 3.1's study.optimize, same run.

Usage: peer_examples_bench.py BUILD_DIR PEER_EXAMPLES_DIR [--trials 30] [--examples sklearn,pytorch]

For sklearn_simple.py and pytorch_simple.py (shared/peer-examples; the PyTorch one
on Debian's Fashion-MNIST, offline): Optuna 3.1 runs `study.optimize(objective,
n_trials=N)` in one fresh Python process; knob runs the example made a trainer
(tests/python/peer_examples.py: two lines added) with 1 and with 2 CPU slots. All
wall times include interpreter start, imports and data loading. Prints the times,
knob's ratio to Optuna's, and the gap between two trials of a reused worker (from
the worker's own clock: the "began N ms after" lines in the trial logs).

So that the times compare the machinery and not the samplers' luck, every run gets the
same N configurations, drawn once at random (seeded) and enqueued in both tools (an
enqueued trial's suggestions return its fixed values, in Optuna and in knob); the
pruners still decide. "work" counts the reports (epochs) of all trials (1 for a trial
without any); --sampled lets each tool's TPE choose instead.

The examples do not seed their training, so two runs of one configuration reach
different accuracies, the median pruner stops different trials, and the two tools
train different amounts (one 5-round run: 84 epochs against 99). So that they
train the same, both harnesses seed Python's, NumPy's and (when loaded) Torch's
generators with the trial's number as each trial starts: Optuna's by wrapping the
objective it passes to study.optimize, knob's by running the example through
SEEDED_TRAINER, which wraps the objective the example hands to knob.serve. The
example's file is the same in both (--unseeded leaves training unseeded).
"""
import argparse
import json
import math
import os
import random
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "python"))
import peer_examples  # noqa: E402

# Seeds every generator the example may draw from with the trial's number.
SEED_TRIAL = """
import random, sys
def seed_trial(number):
    random.seed(number)
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed(number)
    if "torch" in sys.modules:
        sys.modules["torch"].manual_seed(number)
"""

# knob's trainer: the example itself, run as __main__, with the objective it hands to
# knob.serve seeded per trial (argv: the example's path, then its own arguments).
SEEDED_TRAINER = SEED_TRIAL + """
import runpy, knob
serve = knob.serve
def seeded_serve(objective, exit=True):
    def seeded(trial):
        seed_trial(trial.number)
        return objective(trial)
    return serve(seeded, exit)
knob.serve = seeded_serve
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""

OPTUNA_RUN = SEED_TRIAL + """
import importlib.util, json, sys, warnings
import optuna
warnings.simplefilter("ignore")
optuna.logging.set_verbosity(optuna.logging.WARNING)
spec = importlib.util.spec_from_file_location("example", sys.argv[1])
example = importlib.util.module_from_spec(spec)
spec.loader.exec_module(example)
study = optuna.create_study(direction="maximize")
for params in json.loads(sys.argv[3]):
    study.enqueue_trial(params)
objective = example.objective
if sys.argv[4] == "seeded":
    def objective(trial):
        seed_trial(trial.number)
        return example.objective(trial)
study.optimize(objective, n_trials=int(sys.argv[2]))
print(sum(max(1, len(t.intermediate_values)) for t in study.trials))
"""


def configurations(which, n, seed=0):
    """N random configurations of the example's own space (as its objective suggests them)."""
    rng = random.Random(seed)
    log_uniform = lambda low, high: math.exp(rng.uniform(math.log(low), math.log(high)))  # noqa: E731
    out = []
    for _ in range(n):
        if which == "sklearn":
            if rng.random() < 0.5:
                out.append({"classifier": "SVC", "svc_c": log_uniform(1e-10, 1e10)})
            else:
                out.append({"classifier": "RandomForest", "rf_max_depth": int(round(log_uniform(2, 32)))})
        else:
            p = {"n_layers": rng.randint(1, 3), "optimizer": rng.choice(["Adam", "RMSprop", "SGD"]),
                 "lr": log_uniform(1e-5, 1e-1)}
            for i in range(p["n_layers"]):
                p["n_units_l%d" % i] = rng.randint(4, 128)
                p["dropout_l%d" % i] = rng.uniform(0.2, 0.5)
            out.append(p)
    return out


def timed(argv, cwd):
    start = time.perf_counter()
    r = subprocess.run(argv, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if r.returncode != 0:
        sys.exit("%s failed (%d): %s" % (" ".join(argv), r.returncode, r.stderr[-3000:]))
    return elapsed, r


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("build")
    parser.add_argument("examples")
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--examples", dest="which", default="sklearn,pytorch")
    parser.add_argument("--sampled", action="store_true", help="each tool's TPE chooses the trials")
    parser.add_argument("--unseeded", action="store_true", help="leave the examples' training unseeded")
    parser.add_argument("--repeat", type=int, default=3, help="rounds of the three runs, interleaved; medians")
    args = parser.parse_args()
    knob = os.path.abspath(os.path.join(args.build, "knob"))
    args.examples = os.path.abspath(args.examples)
    print("%-18s %13s %13s %7s %13s %7s %10s" % ("example", "optuna s/work", "knob 1 s/work", "ratio",
                                                 "knob 2 s/work", "ratio", "gap ms"))
    for which in args.which.split(","):
        script = which + "_simple.py"
        folder = tempfile.mkdtemp(prefix="knob-peer-bench-")
        name = peer_examples.prepare(os.path.join(args.examples, script), folder, which == "pytorch")
        original = os.path.join(args.examples, script)
        same = [] if args.sampled else configurations(which, args.trials)
        trainer = name
        if not args.unseeded:
            trainer = "seeded_trainer.py"
            with open(os.path.join(folder, trainer), "w") as f:
                f.write(SEEDED_TRAINER)
        gaps = []
        rounds = []
        for round_number in range(args.repeat):
            optuna_s, r = timed(["/usr/bin/python3", "-c", OPTUNA_RUN, original, str(args.trials), json.dumps(same),
                                 "unseeded" if args.unseeded else "seeded"],
                                folder)
            optuna_work = int(r.stdout.split()[-1])
            knob_s, work = {}, {}
            for slots in (1, 2):
                study = "peer%d-%d" % (slots, round_number)
                with open(os.path.join(folder, study + ".yaml"), "w") as f:
                    f.write(peer_examples.study_file(study, trainer, args.trials, slots,
                                                    arguments=[] if trainer == name else [name]))
                if same:  # the study as knob run makes it, then the same configurations queued
                    subprocess.run([knob, "create-study", "--storage", "knob.db", "--study", study, "--direction",
                                    "maximize", "--space", "{}"], cwd=folder, check=True, capture_output=True)
                    for params in same:
                        subprocess.run([knob, "enqueue", "--storage", "knob.db", "--study", study, "--params",
                                        json.dumps(params)], cwd=folder, check=True, capture_output=True)
                knob_s[slots], _ = timed([knob, "run", study + ".yaml"], folder)
                db = sqlite3.connect(os.path.join(folder, "knob.db"))
                work[slots] = db.execute(
                    "SELECT SUM(MAX(1, (SELECT COUNT(*) FROM trial_intermediate_values v "
                    "WHERE v.trial_id = t.trial_id))) FROM trials t JOIN studies s ON s.study_id = t.study_id "
                    "WHERE s.study_name = ?", (study,)).fetchone()[0]
                runs = os.path.join(folder, "knob-runs", study)
                for trial in os.listdir(runs):
                    log = os.path.join(runs, trial, "trainer.log")
                    if os.path.exists(log):
                        gaps += [float(m) for m in re.findall(r"began ([0-9.]+) ms after", open(log).read())]
            rounds.append((optuna_s, optuna_work, knob_s[1], work[1], knob_s[2], work[2]))
        median = lambda column: statistics.median(r[column] for r in rounds)  # noqa: E731
        optuna_s, optuna_work = median(0), median(1)
        knob_s, work = {1: median(2), 2: median(4)}, {1: median(3), 2: median(5)}
        gap = "%.2f/%.2f" % (statistics.median(gaps), max(gaps)) if gaps else "-"
        cell = lambda seconds, units: "%.1f/%g" % (seconds, units)  # noqa: E731
        print("%-18s %13s %13s %6.2fx %13s %6.2fx %10s" % (
            script, cell(optuna_s, optuna_work), cell(knob_s[1], work[1]), knob_s[1] / optuna_s,
            cell(knob_s[2], work[2]), knob_s[2] / optuna_s, gap), flush=True)
        print("%-18s %13s %13s %6.2fx %13s %6.2fx   per unit of work" % (
            "", "", "", (knob_s[1] / work[1]) / (optuna_s / optuna_work), "",
            (knob_s[2] / work[2]) / (optuna_s / optuna_work)), flush=True)
    print("medians of %d interleaved rounds; " % args.repeat + "ratio: knob's wall time over Optuna's; gap ms: median/max time between a reused worker's result and its "
          "next trial, on its own clock")


if __name__ == "__main__":
    main()
