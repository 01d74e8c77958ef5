#!/usr/bin/python3
"""knob <-> Optuna 3.1 on one PostgreSQL database.

Usage: postgres_interop_test.py PATH/TO/knob PATH/TO/knob_scripted_trainer
(with $KNOB_TEST_POSTGRES_URL naming a server where a database may be created).
A study run by `knob run` on PostgreSQL opens in Optuna 3.1 (psycopg2) with its
postgresql:// URL: the same trials, states, params, values and best trial as
`knob trials` / `knob best-trial`; Optuna then adds trials that knob reads.
"""
import json
import os
import subprocess
import sys
import tempfile
import warnings

import optuna
import psycopg2

optuna.logging.set_verbosity(optuna.logging.WARNING)
warnings.simplefilter("ignore")

KNOB, TRAINER = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
BASE = os.environ["KNOB_TEST_POSTGRES_URL"]
DATABASE = f"knob_optuna_interop_{os.getpid()}"
URL = BASE.rsplit("/", 1)[0] + "/" + DATABASE


def admin(sql):
    connection = psycopg2.connect(BASE)
    connection.autocommit = True
    connection.cursor().execute(sql)
    connection.close()


def knob(*args):
    r = subprocess.run([KNOB, *args], capture_output=True, text=True)
    if r.returncode != 0:
        raise AssertionError(f"knob {' '.join(args)} failed ({r.returncode}): {r.stderr}")
    return r.stdout


def main():
    admin(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    admin(f"CREATE DATABASE {DATABASE}")
    try:
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "study.yaml")
            with open(path, "w") as f:
                f.write(f"study: pg\nstorage: {URL}\ndirection: maximize\nn_trials: 20\n"
                        "sampler: {name: tpe, seed: 3}\n"
                        "space: {x: {type: float, low: 0, high: 1}, k: {type: int, low: 1, high: 4},"
                        " c: {type: categorical, choices: [a, b]}}\n"
                        f"trainer:\n  command: [{TRAINER}, --mode, curve, --steps, '5']\n"
                        "resources: {gpus: none, cpu_slots: 2}\n")
            knob("run", path)
        mine = json.loads(knob("trials", "--storage", URL, "--study", "pg", "--format", "json"))
        study = optuna.load_study(study_name="pg", storage=URL)
        theirs = study.trials
        assert len(theirs) == len(mine) == 20, (len(theirs), len(mine))
        for t, k in zip(theirs, mine):
            assert t.number == k["number"]
            assert t.state.name == k["state"], (t.number, t.state, k["state"])
            assert t.params == k["params"], (t.params, k["params"])
            assert t.value == k.get("value"), (t.value, k.get("value"))
            steps = {int(step): v for step, v in k.get("intermediate_values", {}).items()}
            assert t.intermediate_values == steps, (t.intermediate_values, steps)
        best = json.loads(knob("best-trial", "--storage", URL, "--study", "pg", "--format", "json"))
        assert study.best_trial.number == best["number"] and study.best_value == best["value"]
        # Optuna continues the study; knob sees its trials.
        study.optimize(lambda t: t.suggest_float("x", 0, 1) - 0.3 * t.suggest_int("k", 1, 4)
                       + (t.suggest_categorical("c", ["a", "b"]) == "a"), n_trials=5)
        after = json.loads(knob("trials", "--storage", URL, "--study", "pg", "--format", "json"))
        assert len(after) == 25 and all(t["state"] == "COMPLETE" for t in after[20:])
        print("ok   Optuna 3.1 reads and continues a knob study on PostgreSQL")
        return 0
    finally:
        admin(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")


if __name__ == "__main__":
    sys.exit(main())
