#!/usr/bin/python3
"""ask + tell through the command line: knob against Optuna 3.1's CLI, same study, same run.

Usage: bench/cli_ask_tell.py BUILD_DIR [--trials 1000] [--pairs 50] [--optuna-pairs 3]

`knob create-study` makes the study (10 float params, random sampler), Optuna fills
it with N finished trials in process, and each CLI then works on its own copy of
that very file. Prints the median wall time of one ask+tell pair for each tool and
their ratio.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import warnings

import optuna

from bench_common import time_cli_pairs

optuna.logging.set_verbosity(optuna.logging.WARNING)
warnings.simplefilter("ignore")

PARAMS = [f"p{i}" for i in range(10)]
SPACE_OPTUNA = {p: {"name": "FloatDistribution", "attributes": {"low": 0.0, "high": 1.0}} for p in PARAMS}


def build_study(knob, path, n_trials):
    space = {p: {"type": "float", "low": 0.0, "high": 1.0} for p in PARAMS}
    subprocess.run([knob, "create-study", "--storage", path, "--study", "bench", "--sampler", "random",
                    "--space", json.dumps(space)], check=True, capture_output=True)
    study = optuna.load_study(study_name="bench", storage="sqlite:///" + path,
                              sampler=optuna.samplers.RandomSampler(seed=0))
    study.optimize(lambda t: sum(t.suggest_float(p, 0.0, 1.0) for p in PARAMS), n_trials=n_trials)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("build")
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--pairs", type=int, default=50)
    parser.add_argument("--optuna-pairs", type=int, default=3)
    args = parser.parse_args()
    args.knob = os.path.join(args.build, "knob")
    with tempfile.TemporaryDirectory() as folder:
        optuna_db = os.path.join(folder, "optuna.db")
        knob_db = os.path.join(folder, "knob.db")
        build_study(args.knob, optuna_db, args.trials)
        shutil.copy(optuna_db, knob_db)

        knob_storage = "sqlite:///" + knob_db
        knob_times = time_cli_pairs(
            [args.knob, "ask", "--storage", knob_storage, "--study", "bench"],
            lambda n: [args.knob, "tell", "--storage", knob_storage, "--study", "bench",
                       "--trial", str(n), "--value", "1.0"],
            args.pairs)
        optuna_storage = "sqlite:///" + optuna_db
        optuna_times = time_cli_pairs(
            ["optuna", "ask", "--storage", optuna_storage, "--study-name", "bench",
             "--sampler", "RandomSampler", "--search-space", json.dumps(SPACE_OPTUNA)],
            lambda n: ["optuna", "tell", "--storage", optuna_storage, "--study-name", "bench",
                       "--trial-number", str(n), "--values", "1.0"],
            args.optuna_pairs)

    knob_ms = statistics.median(knob_times) * 1e3
    optuna_ms = statistics.median(optuna_times) * 1e3
    print(f"study: {args.trials} finished trials, 10 float params, random sampler, SQLite")
    print(f"knob ask+tell (CLI):   median {knob_ms:8.1f} ms/pair over {args.pairs} pairs "
          f"(p90 {sorted(knob_times)[int(0.9 * len(knob_times))] * 1e3:.1f} ms)")
    print(f"optuna ask+tell (CLI): median {optuna_ms:8.1f} ms/pair over {args.optuna_pairs} pairs")
    print(f"ratio optuna/knob: {optuna_ms / knob_ms:.0f}x")


if __name__ == "__main__":
    main()
