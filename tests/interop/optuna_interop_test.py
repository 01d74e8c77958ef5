#!/usr/bin/python3
"""knob <-> Optuna 3.1 on one SQLite file, both directions.

Usage: optuna_interop_test.py PATH/TO/knob
A study made only with knob commands must read the same in Optuna (trials, states,
params, values, attributes, best trial), and a study written by Optuna must read
the same in `knob trials` / `knob best-trial` and be continued by knob.
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

KNOB = sys.argv[1]


def knob(*args, ok=True):
    r = subprocess.run([KNOB, *args], capture_output=True, text=True)
    if ok and r.returncode != 0:
        raise AssertionError(f"knob {' '.join(args)} failed ({r.returncode}): {r.stderr}")
    return r


def knob_json(*args):
    return json.loads(knob(*args).stdout)


def same_value(a, b):
    if a is None or b is None:
        return a is None and b is None
    return a == b or (math.isinf(a) and a == b)


def same_params(a, b):
    assert a.keys() == b.keys(), (a, b)
    for k in a:
        if isinstance(a[k], float) or isinstance(b[k], float):
            assert math.isclose(a[k], b[k], rel_tol=0, abs_tol=0), (k, a[k], b[k])
        else:
            assert a[k] == b[k] and type(a[k]) == type(b[k]), (k, a[k], b[k])


SPACE = {
    "lr": {"type": "float", "low": 1e-5, "high": 1e-1, "log": True},
    "dropout": {"type": "float", "low": 0.0, "high": 0.5, "step": 0.05},
    "layers": {"type": "int", "low": 1, "high": 4},
    "batch": {"type": "int", "low": 16, "high": 512, "log": True},
    "optimizer": {"type": "categorical", "choices": ["adamw", "sgd", None, True, 3]},
}


def objective(p):
    return (math.log10(p["lr"]) + 3) ** 2 + p["dropout"] + p["layers"] / 10 + (p["optimizer"] == "sgd")


def compare_with_knob(storage, name, study):
    knob_trials = knob_json("trials", "--storage", storage, "--study", name, "--format", "json")
    trials = study.get_trials(deepcopy=False)
    assert len(knob_trials) == len(trials), (len(knob_trials), len(trials))
    for k, o in zip(knob_trials, trials):
        assert k["number"] == o.number
        assert k["state"] == o.state.name, (k["number"], k["state"], o.state.name)
        assert same_value(k["value"], o.value), (k["number"], k["value"], o.value)
        same_params(k["params"], o.params)
        assert k.get("user_attrs", {}) == o.user_attrs, (k.get("user_attrs"), o.user_attrs)
        assert {int(s): v for s, v in k["intermediate_values"].items()} == o.intermediate_values
    best = knob_json("best-trial", "--storage", storage, "--study", name, "--format", "json")
    assert best["number"] == study.best_trial.number, (best["number"], study.best_trial.number)
    assert same_value(best["value"], study.best_value)
    same_params(best["params"], study.best_params)


def knob_to_optuna(folder):
    storage = "sqlite:///" + os.path.join(folder, "knob.db")
    s = ["--storage", storage, "--study", "made-by-knob"]
    knob("create-study", *s, "--space", json.dumps(SPACE), "--sampler-options", '{"seed": 3}')
    knob("set-user-attr", *s, "--key", "owner", "--value", "ada")
    number = int(knob("enqueue", *s, "--params", '{"lr": 0.001, "optimizer": "adamw"}').stdout)
    assert number == 0
    for i in range(30):
        t = knob_json("ask", *s)
        n, p = t["number"], t["params"]
        if i == 0:
            assert n == 0 and p["lr"] == 0.001 and p["optimizer"] == "adamw"
        knob("set-user-attr", *s, "--trial", str(n), "--key", "i", "--json", str(i))
        for step in range(3):
            knob("report", *s, "--trial", str(n), "--step", str(step), "--value", str(objective(p) + 1 / (step + 1)))
        if i % 7 == 3:
            knob("tell", *s, "--trial", str(n), "--state", "pruned")
        elif i % 11 == 5:
            knob("tell", *s, "--trial", str(n), "--state", "fail")
        elif i == 29:
            knob("tell", *s, "--trial", str(n), "--value", "nan")  # NaN fails the trial
        else:
            knob("tell", *s, "--trial", str(n), "--value", repr(objective(p)))

    study = optuna.load_study(study_name="made-by-knob", storage=storage)
    trials = study.get_trials()
    assert len(trials) == 30
    states = [t.state.name for t in trials]
    assert states.count("PRUNED") == 4 and states.count("FAIL") == 4, states
    assert study.user_attrs == {"owner": "ada"}
    assert study.direction == optuna.study.StudyDirection.MINIMIZE
    for t in trials:
        assert set(t.params) == set(SPACE)
        for name, dist in t.distributions.items():
            assert dist._contains(dist.to_internal_repr(t.params[name])), (name, t.params[name])
        if t.state.name == "COMPLETE":
            assert math.isclose(t.value, objective(t.params)), (t.value, objective(t.params))
        if t.state.name == "PRUNED":
            assert t.value == t.intermediate_values[2]
    assert isinstance(trials[1].distributions["layers"], optuna.distributions.IntDistribution)
    assert trials[1].distributions["batch"].log
    assert trials[1].distributions["dropout"].step == 0.05
    compare_with_knob(storage, "made-by-knob", study)

    # knob keeps working on the file after Optuna stamped its schema version.
    t = knob_json("ask", *s)
    knob("tell", *s, "--trial", str(t["number"]), "--value", "0.0")
    assert optuna.load_study(study_name="made-by-knob", storage=storage).best_trial.number == t["number"]

    # Infinite values are stored the way Optuna stores them.
    inf = ["--storage", storage, "--study", "infinite"]
    knob("create-study", *inf, "--direction", "maximize", "--space", '{"x": {"type": "int", "low": 0, "high": 9}}')
    for value in ["inf", "-inf", "1.5"]:
        t = knob_json("ask", *inf)
        knob("tell", *inf, "--trial", str(t["number"]), "--value", value)
    values = [t.value for t in optuna.load_study(study_name="infinite", storage=storage).trials]
    assert values == [math.inf, -math.inf, 1.5], values
    assert knob_json("best-trial", *inf, "--format", "json")["number"] == 0


def optuna_to_knob(folder):
    storage = "sqlite:///" + os.path.join(folder, "optuna.db")
    study = optuna.create_study(study_name="made-by-optuna", storage=storage, direction="maximize",
                                sampler=optuna.samplers.TPESampler(seed=1),
                                pruner=optuna.pruners.MedianPruner(n_startup_trials=3))
    study.set_user_attr("source", "optuna")
    study.enqueue_trial({"x": 0.5, "kind": "b"})

    def fn(trial):
        x = trial.suggest_float("x", -2, 2)
        w = trial.suggest_float("w", 1e-3, 1.0, log=True)
        k = trial.suggest_int("k", 0, 10, step=2)
        kind = trial.suggest_categorical("kind", ["a", "b", None])
        trial.set_user_attr("k_twice", 2 * k)
        if trial.number % 9 == 4:
            return float("nan")  # Optuna fails the trial
        value = -(x - 0.3) ** 2 - w + k / 10 + (kind == "b")
        for step in range(4):
            trial.report(value - 1 / (step + 1), step)
            if trial.should_prune():
                raise optuna.TrialPruned()
        return value

    study.optimize(fn, n_trials=30)
    states = [t.state.name for t in study.trials]
    assert "FAIL" in states and "COMPLETE" in states, states
    compare_with_knob(storage, "made-by-optuna", study)

    # knob continues the Optuna study: the space comes from its trials.
    s = ["--storage", storage, "--study", "made-by-optuna"]
    t = knob_json("ask", *s)
    assert t["number"] == 30 and set(t["params"]) == {"x", "w", "k", "kind"}
    knob("tell", *s, "--trial", "30", "--value", "100")
    again = optuna.load_study(study_name="made-by-optuna", storage=storage)
    assert len(again.trials) == 31 and again.best_trial.number == 30
    same_params(again.best_params, t["params"])
    compare_with_knob(storage, "made-by-optuna", again)
    # And Optuna continues after knob.
    again.optimize(fn, n_trials=2)
    compare_with_knob(storage, "made-by-optuna", optuna.load_study(study_name="made-by-optuna", storage=storage))


def optuna_cli_words_work_in_knob(folder):
    """The same command lines, in Optuna CLI's words, run by `optuna` and by `knob`."""
    space = json.dumps({
        "x": {"name": "FloatDistribution", "attributes": {"low": 0.0, "high": 1.0, "log": False, "step": None}},
        "n": {"name": "IntDistribution", "attributes": {"low": 1, "high": 64, "log": True, "step": 1}},
        "c": {"name": "CategoricalDistribution", "attributes": {"choices": ["a", "b"]}}})
    lines = [
        ["create-study", "--study-name", "cli", "--directions", "minimize", "maximize", "--skip-if-exists"],
        ["create-study", "--study-name", "cli", "--directions", "minimize", "maximize", "--skip-if-exists"],
        ["ask", "--study-name", "cli", "--search-space", space],
        ["tell", "--study-name", "cli", "--trial-number", "0", "--values", "0.5", "7"],
        ["ask", "--study-name", "cli", "--search-space", space],
        ["tell", "--study-name", "cli", "--trial-number", "1", "--state", "fail"],
        ["tell", "--study-name", "cli", "--trial-number", "1", "--values", "1", "2", "--skip-if-finished"],
    ]
    studies = {}
    for tool, program in (("optuna", ["/usr/bin/optuna"]), ("knob", [KNOB])):
        storage = "sqlite:///" + os.path.join(folder, tool + ".db")
        for line in lines:
            r = subprocess.run(program + [line[0], "--storage", storage] + line[1:], capture_output=True, text=True)
            assert r.returncode == 0, (tool, line, r.stderr[-2000:])
            if line[0] == "ask":
                asked = json.loads(r.stdout)
                p = asked["params"]
                assert 0 <= p["x"] <= 1 and 1 <= p["n"] <= 64 and p["c"] in ("a", "b"), (tool, asked)
        studies[tool] = optuna.load_study(study_name="cli", storage=storage)
    for o, k in zip(studies["optuna"].trials, studies["knob"].trials, strict=True):
        assert (o.number, o.state, o.values) == (k.number, k.state, k.values), (o, k)
        assert o.distributions == k.distributions, (o.distributions, k.distributions)
    assert [d.name for d in studies["knob"].directions] == ["MINIMIZE", "MAXIMIZE"]


def main():
    passed = failed = 0
    for test in (knob_to_optuna, optuna_to_knob, optuna_cli_words_work_in_knob):
        with tempfile.TemporaryDirectory() as folder:
            try:
                test(folder)
                passed += 1
                print(f"ok   {test.__name__}")
            except Exception as e:  # report every failure, then exit non-zero
                failed += 1
                print(f"FAIL {test.__name__}: {type(e).__name__}: {e}")
                import traceback
                traceback.print_exc()
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
