#!/usr/bin/python3
"""Several objectives and constraints, knob <-> Optuna 3.1 on one SQLite file.

Usage: multi_objective_interop_test.py PATH/TO/knob
1. A study made with knob's command line (--directions, tell --values/--constraints)
   opens in optuna.load_study with the same directions, values and constraints, and
   Optuna's best_trials over the feasible trials is knob's best-trials.
2. A study Optuna's NSGAIISampler (with a constraints_func) wrote reads the same in
   knob, and `knob ask` continues it (NSGA-II, from Optuna's own generations).
3. A `knob run` study of a Python trainer returning two values under one constraint,
   4 slots: best-trials holds exactly the non-dominated feasible trials, computed here.
4. Bad input: one line, exit 2, nothing written.
"""
import json
import math
import os
import subprocess
import sys
import tempfile
import warnings

import optuna

optuna.logging.set_verbosity(optuna.logging.WARNING)
warnings.simplefilter("ignore")
KNOB = os.path.abspath(sys.argv[1])


def knob(*args, ok=True, code=0):
    r = subprocess.run([KNOB, *args], capture_output=True, text=True)
    if ok:
        assert r.returncode == code, "knob %s: exit %d: %s" % (" ".join(args), r.returncode, r.stderr)
    return r


def front(values, directions):
    """Indices of the non-dominated points (directions as +1 minimize / -1 maximize)."""
    def dominates(a, b):
        a = [s * x for s, x in zip(directions, a)]
        b = [s * x for s, x in zip(directions, b)]
        return all(x <= y for x, y in zip(a, b)) and any(x < y for x, y in zip(a, b))
    return [i for i, v in enumerate(values) if not any(dominates(w, v) for j, w in enumerate(values) if j != i)]


folder = tempfile.mkdtemp(prefix="knob-mo-")
db = os.path.join(folder, "mo.db")
url = "sqlite:///" + db

# 1. knob's command line -> Optuna.
space = json.dumps({"x": {"type": "float", "low": 0, "high": 1}, "n": {"type": "int", "low": 1, "high": 5}})
knob("create-study", "--storage", db, "--study", "cli", "--directions", "minimize,maximize", "--space", space)
told = []
for i in range(30):
    trial = json.loads(knob("ask", "--storage", db, "--study", "cli").stdout)
    x, n = trial["params"]["x"], trial["params"]["n"]
    values = [x * n, (1 - x) * n]
    constraints = [x - 0.8]
    knob("tell", "--storage", db, "--study", "cli", "--trial", str(trial["number"]),
         "--values", "%r,%r" % tuple(values), "--constraints", "%r" % constraints[0])
    told.append((trial["number"], values, constraints))
study = optuna.load_study(study_name="cli", storage=url)
assert study.directions == [optuna.study.StudyDirection.MINIMIZE, optuna.study.StudyDirection.MAXIMIZE]
for (number, values, constraints), t in zip(told, study.trials):
    assert t.number == number and t.values == values, (t.values, values)
    assert t.system_attrs["constraints"] == constraints, t.system_attrs
feasible = [t for t in study.trials if all(c <= 0 for c in t.system_attrs["constraints"])]
expected = sorted(feasible[i].number for i in front([t.values for t in feasible], [1, -1]))
knob_front = sorted(t["number"] for t in json.loads(knob("best-trials", "--storage", db, "--study", "cli",
                                                         "--format", "json").stdout))
assert knob_front == expected, (knob_front, expected)
# Without constraints Optuna's own best_trials is the same front.
all_front = sorted(t.number for t in study.best_trials)
assert all_front == sorted(study.trials[i].number for i in front([t.values for t in study.trials], [1, -1]))
print("ok   knob's multi-objective study opens in Optuna 3.1: %d trials, front %s" % (len(told), knob_front))

# 2. Optuna's NSGA-II with constraints -> knob, which continues it.
def constraints_func(trial):
    return trial.user_attrs["c"]


def objective(trial):
    x = trial.suggest_float("x", 0, 5)
    y = trial.suggest_float("y", 0, 3)
    trial.set_user_attr("c", [(x - 5) ** 2 + y * y - 25 + 0.0])
    return 4 * x * x + 4 * y * y, (x - 5) ** 2 + (y - 5) ** 2


# Optuna's default population of 50 (knob's too): generations 0 and 1 whole, 2 begun.
sampler = optuna.samplers.NSGAIISampler(seed=3, constraints_func=constraints_func)
ostudy = optuna.create_study(study_name="optuna", storage=url, directions=["minimize", "minimize"], sampler=sampler)
ostudy.optimize(objective, n_trials=110)
rows = json.loads(knob("trials", "--storage", db, "--study", "optuna", "--format", "json").stdout)
assert len(rows) == 110
for row, t in zip(rows, ostudy.trials):
    assert row["values"] == t.values, (row, t.values)  # a list, as Optuna's CLI prints it
    assert row["constraints"] == list(t.system_attrs["constraints"]), (row["constraints"], t.system_attrs)
ofeasible = [t for t in ostudy.trials if all(c <= 0 for c in t.system_attrs["constraints"])]
oexpected = sorted(ofeasible[i].number for i in front([t.values for t in ofeasible], [1, 1]))
ofront = sorted(t["number"] for t in json.loads(knob("best-trials", "--storage", db, "--study", "optuna",
                                                     "--format", "json").stdout))
assert ofront == oexpected, (ofront, oexpected)
asked = json.loads(knob("ask", "--storage", db, "--study", "optuna").stdout)
assert asked["number"] == 110 and 0 <= asked["params"]["x"] <= 5 and 0 <= asked["params"]["y"] <= 3, asked
generation = optuna.load_study(study_name="optuna", storage=url).trials[110].system_attrs["nsga2:generation"]
assert generation == 2, generation  # generation 1 is the last whole one: the next is 2
print("ok   Optuna 3.1's NSGA-II study reads in knob (front %s) and knob continues it in generation %d"
      % (ofront, generation))

# 3. knob run: a Python trainer returning two values, one constraint, 4 slots.
with open(os.path.join(folder, "objective.py"), "w") as f:
    f.write("""import math, knob
def objective(trial):
    x = trial.suggest_float("x", 0, 1)
    y = trial.suggest_float("y", 0, 1)
    trial.set_user_attr("size", x + y)
    g = 1 + 9 * y
    return x, g * (1 - math.sqrt(x / g))
if __name__ == "__main__":
    knob.serve(objective)
""")
with open(os.path.join(folder, "study.yaml"), "w") as f:
    f.write("study: run\nstorage: mo.db\ndirections: [minimize, minimize]\nconstraints: ['size <= 1.2']\n"
            "n_trials: 80\nsampler: {name: nsga2, seed: 2, population_size: 16}\n"
            "space: {x: {type: float, low: 0, high: 1}, y: {type: float, low: 0, high: 1}}\n"
            "trainer:\n  command: [/usr/bin/python3, objective.py]\nresources: {gpus: none, cpu_slots: 4}\n")
r = knob("run", os.path.join(folder, "study.yaml"))
rstudy = optuna.load_study(study_name="run", storage=url)
complete = [t for t in rstudy.trials if t.state == optuna.trial.TrialState.COMPLETE]
assert len(complete) == 80, len(complete)
for t in complete:
    assert math.isclose(t.system_attrs["constraints"][0], t.user_attrs["size"] - 1.2, abs_tol=1e-12), t.system_attrs
rfeasible = [t for t in complete if t.system_attrs["constraints"][0] <= 0]
rexpected = sorted(rfeasible[i].number for i in front([t.values for t in rfeasible], [1, 1]))
rfront = sorted(t["number"] for t in json.loads(knob("best-trials", os.path.join(folder, "study.yaml"),
                                                     "--format", "json").stdout))
assert rfront == rexpected and rfront, (rfront, rexpected)
assert "trials on the Pareto front" in r.stderr, r.stderr[-500:]
status = json.loads(knob("status", os.path.join(folder, "study.yaml"), "--format", "json").stdout)
assert status["direction"] == "minimize,minimize" and sorted(t["number"] for t in status["front"]) == rfront, status
assert ("front: %d trials" % len(rfront)) in knob("status", os.path.join(folder, "study.yaml")).stdout
print("ok   knob run, 2 values + 1 constraint on 4 slots: best-trials is the feasible front (%d trials)" % len(rfront))

# 4. Bad input.
before = open(db, "rb").read()
cases = [
    (["create-study", "--storage", db, "--study", "x", "--directions", "minimize,up"],
     "knob: --directions: direction must be minimize or maximize, got 'up'"),
    (["create-study", "--storage", db, "--study", "x", "--directions", "minimize,minimize", "--pruner", "median"],
     "knob: pruner: a study of 2 objectives cannot prune (as in Optuna); leave the pruner out or use nop"),
    (["tell", "--storage", db, "--study", "cli", "--trial", "3", "--values", "1,2,3"],
     "knob: study 'cli' has 2 objectives; got 3 values"),
    (["best-trial", "--storage", db, "--study", "cli"],
     "knob: study 'cli' has 2 objectives: there is no single best trial; `knob best-trials` shows the Pareto front"),
]
knob("ask", "--storage", db, "--study", "cli")  # trial 30, RUNNING, for the tell case
cases[2] = (cases[2][0][:6] + ["30"] + cases[2][0][7:], cases[2][1])
before = open(db, "rb").read()
for argv, message in cases:
    r = knob(*argv, ok=False)
    assert r.returncode == 2 and r.stderr == message + "\n", (argv, r.returncode, r.stderr)
for text, message in [
        ("directions: [minimize, maximize]\nmetrics: [a]\n", "metrics: 1 metrics for 2 directions; give one per objective"),
        ("directions: [minimize, maximize]\npruner: median\n",
         "pruner: a study of 2 objectives cannot prune (as in Optuna); leave the pruner out or use nop"),
        ("directions: [minimize, sideways]\n", "directions: direction must be minimize or maximize, got 'sideways'"),
        ("constraints: ['size < 3']\n", "constraints[0]: expected NAME <= LIMIT or NAME >= LIMIT (<= and >=, not < or >)")]:
    path = os.path.join(folder, "bad.yaml")
    with open(path, "w") as f:
        f.write("study: bad\nstorage: mo.db\nn_trials: 2\n" + text + "trainer:\n  command: [/bin/true]\n")
    r = knob("run", path, ok=False)
    assert r.returncode == 2 and message in r.stderr and r.stderr.count("\n") == 1, (text, r.stderr)
assert open(db, "rb").read() == before
print("ok   bad input: one line, exit 2, nothing written")
