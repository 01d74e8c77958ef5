#!/usr/bin/python3
"""knob.serve under a real `knob run`: define-by-run, reused workers, failures.

Usage: serve_test.py PATH/TO/knob
Each case writes an Optuna-style objective and a study file into a temporary
folder, runs `knob run`, and checks the study in its SQLite file (with Optuna
3.1 too: a define-by-run study must open there with the same distributions).
"""
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import warnings

KNOB = os.path.abspath(sys.argv[1])
PYTHON_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python")
failures = []


def case(function):
    try:
        function()
        print("ok  ", function.__name__)
    except AssertionError as error:
        failures.append(function.__name__)
        print("FAIL", function.__name__, error)
    return function


def setup(objective, study):
    folder = tempfile.mkdtemp(prefix="knob-serve-")
    with open(os.path.join(folder, "objective.py"), "w") as f:
        f.write(textwrap.dedent(objective))
    with open(os.path.join(folder, "study.yaml"), "w") as f:
        f.write(textwrap.dedent(study))
    return folder


def run(folder, *extra, code=0):
    r = subprocess.run([KNOB, "run", os.path.join(folder, "study.yaml"), *extra], capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == code, "knob run exited %d, not %d: %s" % (r.returncode, code, r.stderr[-3000:])
    return r


def trials(folder):
    db = sqlite3.connect(os.path.join(folder, "knob.db"))
    rows = {}
    for number, state, trial_id in db.execute("SELECT number, state, trial_id FROM trials ORDER BY number"):
        attrs = dict(db.execute("SELECT key, value_json FROM trial_system_attributes WHERE trial_id = ?",
                                (trial_id,)))
        user = {k: json.loads(v) for k, v in
                db.execute("SELECT key, value_json FROM trial_user_attributes WHERE trial_id = ?", (trial_id,))}
        params = {name: json.loads(d) for name, d in
                  db.execute("SELECT param_name, distribution_json FROM trial_params WHERE trial_id = ?",
                             (trial_id,))}
        rows[number] = {"state": state, "attrs": {k: json.loads(v) for k, v in attrs.items()}, "user": user,
                        "distributions": params}
    return rows


def load_in_optuna(folder, name):
    """The study as Optuna 3.1 (Debian's) loads it from the folder's knob.db."""
    import optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna.load_study(study_name=name, storage="sqlite:///" + os.path.join(folder, "knob.db"))


def run_all_complete(objective, name, n_trials):
    """Runs the objective's study on one slot; returns its folder and the study as
    Optuna 3.1 loads it, having checked that every trial is COMPLETE."""
    import optuna
    folder = setup(objective, study(name, n_trials, 1))
    run(folder)
    loaded = load_in_optuna(folder, name)
    assert [t.state for t in loaded.trials] == [optuna.trial.TrialState.COMPLETE] * n_trials, loaded.trials
    return folder, loaded


def log_of(folder, number, study):
    with open(os.path.join(folder, "knob-runs", study, "trial-%05d" % number, "trainer.log")) as f:
        return f.read()


OBJECTIVE = """
    import os, sys, time
    import knob

    def objective(trial):
        trial.set_user_attr("pid", os.getpid())
        trial.set_user_attr("cwd", os.getcwd())
        trial.set_user_attr("threads", [os.environ.get(v) for v in ("OMP_NUM_THREADS", "LOKY_MAX_CPU_COUNT")])
        x = trial.suggest_float("x", -10, 10)
        kind = trial.suggest_categorical("kind", ["a", "b", None, 3])
        if kind == "a":
            trial.suggest_int("units_a", 1, 64, log=True)
        else:
            trial.suggest_float("rate_b", 0.0, 1.0, step=0.25)
        trial.suggest_uniform("old_uniform", 0, 1)
        trial.set_user_attr("distributions", trial.distributions)
        print("trial", trial.number, "in process", os.getpid(), flush=True)
        behaviour = os.environ.get("BEHAVIOUR", "") + ","
        if ("segv%d," % trial.number) in behaviour:
            os.kill(os.getpid(), 11)
        if ("hang%d," % trial.number) in behaviour:
            time.sleep(600)
        if ("raise%d," % trial.number) in behaviour:
            raise ValueError("bad luck in trial %d" % trial.number)
        for step in range(3):
            trial.report((x - 1) ** 2 + step, step)
            if trial.should_prune():
                raise knob.TrialPruned()
        return (x - 1) ** 2

    if __name__ == "__main__":
        knob.serve(objective)
"""


def study(name, n_trials, slots=1, extra="", top=""):
    """A study file; `extra` goes under trainer:, `top` at the top level."""
    text = ("study: %s\nn_trials: %d\nsampler: {name: tpe, seed: 7, n_startup_trials: 4}\n%s\n"
            "trainer:\n  command: [/usr/bin/python3, objective.py]\n  timeout: 5s\n  %s\n"
            "resources: {gpus: none, cpu_slots: %d}\n")
    return text % (name, n_trials, top, extra, slots)


@case
def define_by_run_study_opens_in_optuna_with_the_same_distributions():
    folder = setup(OBJECTIVE, study("dbr", 16, 2))
    run(folder)
    rows = trials(folder)
    assert len(rows) == 16 and all(r["state"] == "COMPLETE" or r["state"] == "PRUNED" for r in rows.values()), rows
    import optuna  # 3.1, Debian's
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.simplefilter("ignore")
    loaded = optuna.load_study(study_name="dbr", storage="sqlite:///" + os.path.join(folder, "knob.db"))
    assert len(loaded.trials) == 16
    kinds = set()
    for t in loaded.trials:
        # What the objective itself suggested, in knob's form, against Optuna's reading of the storage.
        suggested = t.user_attrs["distributions"]
        assert sorted(suggested) == sorted(t.distributions), (suggested, t.distributions)
        for name, d in suggested.items():
            o = t.distributions[name]
            if d["type"] == "categorical":
                assert isinstance(o, optuna.distributions.CategoricalDistribution) and list(o.choices) == d["choices"]
            else:
                cls = optuna.distributions.FloatDistribution if d["type"] == "float" else \
                    optuna.distributions.IntDistribution
                assert isinstance(o, cls), (name, o)
                assert (o.low, o.high, o.log) == (d["low"], d["high"], d.get("log", False)), (name, o, d)
                assert (o.step or 1) == d.get("step", 1) or (d["type"] == "float" and o.step == d.get("step")), (o, d)
        kinds.add(t.params["kind"])
        assert ("units_a" in t.params) == (t.params["kind"] == "a"), t.params
    assert len(kinds) > 1, kinds
    # Past the startup trials, what the trials imply was drawn jointly when each began
    # (knob:relative_params: the shared x, kind and old_uniform, and the branch's own
    # parameter as conditional on kind), and the objective's suggestions took those values.
    joint = branch = 0
    for t in loaded.trials:
        drawn = t.system_attrs.get("knob:relative_params")
        if not drawn:
            continue
        joint += 1
        assert {"x", "kind", "old_uniform"} <= set(drawn), drawn
        branch += bool({"units_a", "rate_b"} & set(drawn))
        for name, entry in drawn.items():
            if name not in t.params:
                # A branch's parameter that every trial finished by then held (none had
                # kind "a" yet: with two slots, a matter of timing) is drawn with the
                # shared ones, as Optuna's intersection space has it, and not asked.
                assert name in ("units_a", "rate_b"), (name, t.params)
                continue
            d = entry["distribution"]
            value = d["choices"][int(entry["internal"])] if d["type"] == "categorical" else entry["internal"]
            assert t.params[name] == value, (name, t.params[name], value)
    assert joint >= 8 and branch >= 1, (joint, branch)
    # Reused: two slots, so at most a few processes served all 16 trials.
    pids = {r["user"]["pid"] for r in rows.values()}
    assert len(pids) <= 2, pids
    # Two slots share the cores: each trial's libraries are limited to its share.
    share = str(max(1, os.cpu_count() // 2))
    assert all(r["user"]["threads"] == [share, share] for r in rows.values()), rows[0]["user"]
    gaps = [l for n in range(16) for l in log_of(folder, n, "dbr").splitlines() if "ms after this worker" in l]
    assert len(gaps) == 14, gaps


@case
def a_reused_worker_that_segfaults_or_hangs_fails_only_its_trial():
    extra = "env: {BEHAVIOUR: 'segv3,hang6,raise9'}"
    folder = setup(OBJECTIVE, study("hostile", 14, 1, extra))
    run(folder)
    rows = trials(folder)
    states = {n: r["state"] for n, r in rows.items()}
    assert sum(s in ("COMPLETE", "PRUNED") for s in states.values()) == 14, states
    assert states[3] == "FAIL" and rows[3]["attrs"]["knob:fail_kind"] == "signal", rows[3]
    assert "SIGSEGV" in rows[3]["attrs"]["knob:fail_reason"], rows[3]
    assert states[6] == "FAIL" and rows[6]["attrs"]["knob:fail_kind"] == "timeout", rows[6]
    assert states[9] == "FAIL" and rows[9]["attrs"]["knob:fail_kind"] == "trainer", rows[9]
    assert "ValueError: bad luck in trial 9" in rows[9]["attrs"]["knob:fail_reason"], rows[9]
    pid = {n: r["user"]["pid"] for n, r in rows.items()}
    # A fresh worker after the crash and after the hang; the same worker after an exception.
    assert pid[4] != pid[3] and pid[7] != pid[6], pid
    assert pid[10] == pid[9] and pid[1] == pid[0], pid
    assert len(set(pid.values())) == 3, pid
    # Each trial's output is in its own log.
    assert "trial 5 in process" in log_of(folder, 5, "hostile") and "trial 4 " not in log_of(folder, 5, "hostile")
    assert "Traceback" in log_of(folder, 9, "hostile")


@case
def max_trials_per_worker_replaces_workers():
    folder = setup(OBJECTIVE, study("maxper", 6, 1, "max_trials_per_worker: 2"))
    run(folder)
    pid = [r["user"]["pid"] for n, r in sorted(trials(folder).items())]
    assert pid[0] == pid[1] and pid[2] == pid[3] and pid[4] == pid[5] and len(set(pid)) == 3, pid


@case
def reuse_false_starts_a_process_per_trial_in_its_folder():
    folder = setup(OBJECTIVE, study("oneshot", 4, 1, "reuse: false"))
    run(folder)
    rows = trials(folder)
    assert len({r["user"]["pid"] for r in rows.values()}) == 4
    # One slot: the libraries' own defaults, as the script would run alone.
    mine = [os.environ.get(v) for v in ("OMP_NUM_THREADS", "LOKY_MAX_CPU_COUNT")]
    assert all(r["user"]["threads"] == mine for r in rows.values()), rows[0]["user"]
    for n, r in rows.items():
        assert r["user"]["cwd"].endswith("trial-%05d" % n), r["user"]["cwd"]


@case
def a_suggestion_that_contradicts_the_space_fails_the_trial_naming_both():
    declared = study("contra", 3, 1, top="space: {x: {type: int, low: 0, high: 5}}")
    folder = setup(OBJECTIVE, declared)
    r = run(folder, code=1)
    rows = trials(folder)
    assert rows[0]["state"] == "FAIL" and rows[0]["attrs"]["knob:fail_kind"] == "space", rows[0]
    reason = rows[0]["attrs"]["knob:fail_reason"]
    assert '"type":"float"' in reason and '"type":"int"' in reason and "'x'" in reason, reason
    assert "all failed the same way" in r.stderr, r.stderr[-2000:]


@case
def optuna_pruned_and_working_dir():
    objective = """
        import os
        import optuna
        import knob

        def objective(trial):
            trial.set_user_attr("cwd", os.getcwd())
            if trial.number % 2:
                raise optuna.TrialPruned()
            return trial.suggest_int("n", 0, 3)

        if __name__ == "__main__":
            knob.serve(objective)
    """
    folder = setup(objective, study("pruned", 4, 1, "working_dir: '{study_dir}'"))
    run(folder)
    rows = trials(folder)
    assert [rows[n]["state"] for n in range(4)] == ["COMPLETE", "PRUNED", "COMPLETE", "PRUNED"], rows
    assert all(r["user"]["cwd"] == folder for r in rows.values()), rows


@case
def a_prune_decision_is_advice_to_an_optuna_objective():
    # As in Optuna, should_prune() answers and the objective decides: one that goes
    # on and returns is COMPLETE with its value, one that raises TrialPruned is
    # PRUNED; knob stops neither. A worker whose objective closed sys.stdout serves on.
    objective = """
        import os, sys
        import optuna
        import knob

        def objective(trial):
            trial.set_user_attr("pid", os.getpid())
            x = trial.suggest_float("x", 0, 1)
            trial.report(1.0 + x, 0)
            trial.set_user_attr("told_to_prune", trial.should_prune())
            if trial.number % 2:
                raise optuna.TrialPruned()
            if trial.number == 0:
                sys.stdout.close()
            return 5.0 + trial.number

        if __name__ == "__main__":
            knob.serve(objective)
    """
    for reuse in ("true", "false"):
        folder = setup(objective, study("advice", 6, 1, "reuse: %s" % reuse,
                                        top="pruner: {name: threshold, upper: 0.5}"))
        run(folder)
        rows = trials(folder)
        values = dict(sqlite3.connect(os.path.join(folder, "knob.db")).execute(
            "SELECT t.number, v.value FROM trial_values v JOIN trials t USING (trial_id)"))
        assert [rows[n]["state"] for n in range(6)] == ["COMPLETE", "PRUNED"] * 3, (reuse, rows)
        assert all(rows[n]["user"]["told_to_prune"] is True for n in range(6)), (reuse, rows)
        assert [values[n] for n in (0, 2, 4)] == [5.0, 7.0, 9.0], (reuse, values)
        pids = {rows[n]["user"]["pid"] for n in range(6)}
        assert len(pids) == (1 if reuse == "true" else 6), (reuse, pids)


@case
def report_follows_optunas_rules():
    # A step reported twice keeps its first value (Optuna warns and ignores the
    # second); a value float() refuses and a negative step raise what Optuna raises.
    objective = """
        import warnings
        import knob

        def objective(trial):
            trial.report(1.0, 0)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                trial.report(2.0, 0)
            trial.set_user_attr("warned", [str(w.message) for w in caught])
            trial.report("3.5", "1")
            errors = []
            for value, step in (("abc", 2), (None, 2), (1.0, -1), (1.0, "two")):
                try:
                    trial.report(value, step)
                except (TypeError, ValueError) as error:
                    errors.append(type(error).__name__)
            trial.set_user_attr("errors", errors)
            return 0.0

        if __name__ == "__main__":
            knob.serve(objective)
    """
    folder = setup(objective, study("reports", 1, 1, top="pruner: nop"))
    run(folder)
    rows = trials(folder)
    assert rows[0]["state"] == "COMPLETE", rows
    assert rows[0]["user"]["errors"] == ["TypeError", "TypeError", "ValueError", "TypeError"], rows[0]["user"]
    assert rows[0]["user"]["warned"] == ["The reported value is ignored because this `step=0` is already reported."], \
        rows[0]["user"]
    curve = dict(sqlite3.connect(os.path.join(folder, "knob.db")).execute(
        "SELECT step, intermediate_value FROM trial_intermediate_values"))
    assert curve == {0: 1.0, 1: 3.5}, curve


@case
def names_and_choices_optuna_accepts_are_stored_as_optuna_stores_them():
    # "" as a parameter name or attribute key, any Unicode name, and a categorical
    # holding None, a bool, an int, a float and a string: Optuna takes them all.
    objective = """
        import knob

        def objective(trial):
            unnamed = trial.suggest_int("", 0, 3)
            trial.set_user_attr("", unnamed)
            choice = trial.suggest_categorical("choice", [None, True, 2, 1.5, "a"])
            return trial.suggest_float("ünï/co.de", 0, 1) + unnamed

        if __name__ == "__main__":
            knob.serve(objective)
    """
    folder, loaded = run_all_complete(objective, "names", 6)
    import optuna  # 3.1, Debian's
    for t in loaded.trials:
        assert set(t.params) == {"", "choice", "ünï/co.de"}, t.params
        assert t.user_attrs == {"": t.params[""]}, t.user_attrs
        assert t.value == t.params[""] + t.params["ünï/co.de"], t
        assert list(t.distributions["choice"].choices) == [None, True, 2, 1.5, "a"], t.distributions



@case
def what_optunas_integrations_reach_for_works_under_knob():
    # OptunaSearchCV's objective suggests through the private trial._suggest with Optuna's
    # distribution objects and writes its scores through trial.storage; objectives set
    # NumPy values as attributes. Each is stored as Optuna stores it; a system attribute
    # knob writes itself is refused, and only this trial's attributes may be written.
    objective = """
        import knob, numpy, optuna, warnings
        from optuna import distributions as d

        def objective(trial):
            c = trial._suggest("C", d.FloatDistribution(1e-3, 1e3, log=True))
            depth = trial._suggest("depth", d.IntDistribution(1, 9, step=2))
            kind = trial._suggest("kind", d.CategoricalDistribution(["linear", "rbf"]))
            old = trial._suggest("old", d.LogUniformDistribution(1e-4, 1.0))
            # Choices Optuna keeps only in memory (classes) come back as themselves.
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                container = trial.suggest_categorical("container", [dict, list, None])
            assert container in (dict, list, None) and trial.params["container"] is container, container
            trial.set_user_attr("choice_warnings", len(caught))
            trial.storage.set_trial_system_attr(trial._trial_id, "cv_scores", [0.5, 0.75])
            trial.set_user_attr("folds", numpy.int64(3))
            trial.set_user_attr("scores", numpy.array([0.5, 0.75]))
            refused = []
            try:
                trial.set_system_attr("auto_sampler", "forged")
            except knob.KnobError as error:
                refused.append(str(error))
            try:
                trial.storage.set_trial_system_attr(trial._trial_id + 1, "x", 1)
            except ValueError:
                refused.append("other trial")
            trial.set_user_attr("refused", refused)
            trial.set_user_attr("is_optuna_trial", isinstance(trial, optuna.trial.Trial))
            trial.set_constraint("depth", 5 - depth)  # Optuna 5's: feasible at depth >= 5
            trial.set_constraint("depth", 100)  # a key set before keeps its first value
            trial.study.enqueue_trial({"C": 1.0, "depth": 9, "kind": "rbf", "old": 0.01, "container": None})
            trial.study.set_user_attr("last_trial", trial.number)
            assert trial.study.user_attrs["last_trial"] == trial.number, trial.study.user_attrs
            return c + depth + (kind == "rbf") + old

        if __name__ == "__main__":
            knob.serve(objective)
    """
    folder, loaded = run_all_complete(objective, "integrations", 12)
    import optuna  # 3.1, Debian's
    d = optuna.distributions
    for t in loaded.trials:
        assert t.distributions == {"C": d.FloatDistribution(1e-3, 1e3, log=True),
                                   "depth": d.IntDistribution(1, 9, step=2),
                                   "kind": d.CategoricalDistribution(["linear", "rbf"]),
                                   "old": d.FloatDistribution(1e-4, 1.0, log=True),
                                   "container": d.CategoricalDistribution(["<class 'dict'>", "<class 'list'>", None])}, \
            t.distributions
        assert t.user_attrs["choice_warnings"] == 2, t.user_attrs
        assert t.system_attrs["cv_scores"] == [0.5, 0.75], t.system_attrs
        assert t.system_attrs.get("auto_sampler") != "forged", t.system_attrs
        assert t.user_attrs["folds"] == 3 and t.user_attrs["scores"] == [0.5, 0.75], t.user_attrs
        assert t.user_attrs["refused"] == ["system attribute 'auto_sampler' is knob's own; a trainer may not set it",
                                           "other trial"], t.user_attrs
        assert t.user_attrs["is_optuna_trial"] is True, t.user_attrs
        assert t.system_attrs["constraints:depth"] == 5 - t.params["depth"], t.system_attrs
    assert loaded.user_attrs["last_trial"] == 11, loaded.user_attrs
    # Every trial queued the same params: knob queued them once.
    assert sum(t.params == {"C": 1.0, "depth": 9, "kind": "rbf", "old": 0.01, "container": None}
               for t in loaded.trials) == 1, [t.params for t in loaded.trials]
    # knob's best trial is the best feasible one (depth >= 5; the lowest values have depth 1).
    feasible = [t for t in loaded.trials if t.params["depth"] >= 5]
    assert feasible and len(feasible) < 12, [t.params for t in loaded.trials]
    best = json.loads(subprocess.run([KNOB, "best-trial", os.path.join(folder, "study.yaml"), "--format", "json"],
                                     capture_output=True, text=True, check=True).stdout)
    assert best["number"] == min(feasible, key=lambda t: t.value).number, (best, [(t.number, t.value) for t in feasible])

UNCHANGED_SCRIPT = """
    import argparse
    import optuna

    def objective(trial):
        x = trial.suggest_float("x", -10, 10)
        kind = trial.suggest_categorical("kind", ["a", "b"])
        for step in range(3):
            trial.report((x - 2) ** 2 + step, step)
            if trial.should_prune():
                raise optuna.TrialPruned()
        return (x - 2) ** 2 + (kind == "b")

    if __name__ == "__main__":
        parser = argparse.ArgumentParser()
        parser.add_argument("--n-trials", type=int, default=5)
        args = parser.parse_args()
        study = optuna.create_study(direction="minimize")
        study.enqueue_trial({"x": 1.5, "kind": "a"}, user_attrs={"source": "baseline"})
        study.optimize(objective, n_trials=args.n_trials, n_jobs=2)
        print("BEST", study.best_params)
"""


def unchanged_study(name, n_trials, direction, script="objective.py"):
    return ("study: %s\nn_trials: %d\ndirection: %s\nsampler: {name: tpe, seed: 7, n_startup_trials: 4}\n"
            "trainer:\n  command: [/usr/bin/python3, -m, knob, %s, --n-trials, '3']\n"
            "  working_dir: '{study_dir}'\n  timeout: 30s\nresources: {gpus: none, cpu_slots: 2}\n"
            % (name, n_trials, direction, script))


@case
def an_unchanged_optuna_script_runs_under_python_m_knob():
    # Not a line changed: `python3 -m knob objective.py ARGS` serves the objective
    # that study.optimize is given; the rest of the script's main block never runs.
    folder = setup(UNCHANGED_SCRIPT, unchanged_study("unchanged", 8, "minimize"))
    run(folder)
    rows = trials(folder)
    assert len(rows) == 8 and all(r["state"] in ("COMPLETE", "PRUNED") for r in rows.values()), rows
    assert all(set(r["distributions"]) == {"x", "kind"} for r in rows.values()), rows
    # The script's enqueue_trial queued its params once, though both workers ran it.
    queued = [r for r in rows.values() if r["attrs"].get("fixed_params") == {"x": 1.5, "kind": "a"}]
    assert len(queued) == 1 and queued[0]["user"] == {"source": "baseline"}, rows
    assert queued[0]["state"] in ("COMPLETE", "PRUNED"), queued
    logs = [log_of(folder, n, "unchanged") for n in range(8)]
    assert not any("BEST" in log or "finished with value" in log for log in logs), logs
    # Served by two reused workers, one per slot.
    assert sum("ms after this worker" in log for log in logs) == 6, logs
    # Outside knob it is the script, Optuna's own loop included.
    alone = subprocess.run(["/usr/bin/python3", "-m", "knob", "objective.py", "--n-trials", "2"], cwd=folder,
                           capture_output=True, text=True, timeout=120, env=dict(os.environ, PYTHONPATH=PYTHON_DIR))
    assert alone.returncode == 0 and "BEST" in alone.stdout, (alone.returncode, alone.stdout, alone.stderr[-2000:])
    # A study file that maximizes what the script minimizes: its trials fail naming both.
    folder = setup(UNCHANGED_SCRIPT, unchanged_study("wrong", 2, "maximize"))
    run(folder, code=1)
    reasons = [r["attrs"].get("knob:fail_reason", "") for r in trials(folder).values()]
    assert reasons and all("the script's study says direction ['minimize'], the study file ['maximize']" in r
                           for r in reasons), reasons
    # A script that is a module of a package: `python3 -m knob -m pkg.search`, as `python3 -m pkg.search`.
    folder = setup(UNCHANGED_SCRIPT, unchanged_study("module", 3, "minimize", script="-m, pkg.search"))
    os.makedirs(os.path.join(folder, "pkg"))
    open(os.path.join(folder, "pkg", "__init__.py"), "w").close()
    os.rename(os.path.join(folder, "objective.py"), os.path.join(folder, "pkg", "search.py"))
    run(folder)
    rows = trials(folder)
    assert len(rows) == 3 and all(r["state"] in ("COMPLETE", "PRUNED") for r in rows.values()), rows


ASK_AND_TELL_SCRIPT = """
    import optuna

    study = optuna.create_study(direction="minimize")
    for _ in range(3):  # shorter than knob's budget: each worker ends after three
        trial = study.ask()
        x = trial.suggest_float("x", -10, 10)
        if x > 6:
            study.tell(trial, state=optuna.trial.TrialState.PRUNED)
        elif x < -6:
            study.tell(trial.number, state=optuna.trial.TrialState.FAIL)
        else:
            study.tell(trial, (x - 2) ** 2)
    print("BEST", study.best_params)
"""


@case
def an_unchanged_ask_and_tell_loop_runs_under_python_m_knob():
    # study.ask() / study.tell() get and end knob's trials; a loop that ends while
    # knob has trials left hands its worker's next trial back (a fresh process runs
    # it), so no trial fails for it, though the code after the loop raises (the
    # script's own study is empty).
    folder = setup(ASK_AND_TELL_SCRIPT, unchanged_study("asktell", 14, "minimize").replace(
        "n_trials: 14", "n_trials: 14\nmax_failures: 100\nsampler: {name: random, seed: 3}").replace(
        "sampler: {name: tpe, seed: 7, n_startup_trials: 4}\n", ""))
    r = run(folder)
    rows = trials(folder)
    import optuna  # 3.1, Debian's
    loaded = load_in_optuna(folder, "asktell")
    for t in loaded.trials:
        x = t.params.get("x")
        assert x is not None, (t.number, t.state, rows[t.number]["attrs"].get("knob:fail_reason"))
        want = "PRUNED" if x > 6 else "FAIL" if x < -6 else "COMPLETE"
        assert t.state.name == want, (t.number, x, t.state)
        if want == "COMPLETE":
            assert abs(t.value - (x - 2) ** 2) < 1e-9, t
        if want == "FAIL":
            assert rows[t.number]["attrs"]["knob:fail_reason"].startswith("the script told the trial FAIL"), rows[t.number]
    assert sum(t.state.name in ("COMPLETE", "PRUNED") for t in loaded.trials) == 14, loaded.trials
    assert "serves no more; trial" in r.stderr, r.stderr[-2000:]
    # Outside knob it is Optuna's own loop.
    alone = subprocess.run(["/usr/bin/python3", "-m", "knob", "objective.py"], cwd=folder, capture_output=True,
                           text=True, timeout=120, env=dict(os.environ, PYTHONPATH=PYTHON_DIR))
    assert alone.returncode in (0, 1) and ("BEST" in alone.stdout or "ValueError" in alone.stderr), alone

@case
def trial_study_trials_lists_every_trial_as_optuna_does():
    # Optuna's recipe against repeated parameters: look through trial.study.trials
    # for a COMPLETE trial with the same params and return its value.
    objective = """
        import knob, optuna

        def objective(trial):
            x = trial.suggest_int("x", 0, 3)
            states = [t.state for t in trial.study.trials]
            assert states[trial.number] == optuna.trial.TrialState.RUNNING, states
            complete = trial.study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
            assert all(t.state == optuna.trial.TrialState.COMPLETE for t in complete), complete
            for t in complete:
                if t.params == trial.params:
                    trial.set_user_attr("duplicate_of", t.number)
                    return t.value
            return (x - 1) ** 2 + 0.5

        if __name__ == "__main__":
            knob.serve(objective)
    """
    folder = setup(objective, study("seen", 10, 1).replace("tpe, seed: 7, n_startup_trials: 4", "random, seed: 5"))
    run(folder)
    rows = trials(folder)
    first_with = {}
    for number in sorted(rows):
        row = rows[number]
        assert row["state"] == "COMPLETE", row
        x = json.loads(subprocess.run([KNOB, "trials", os.path.join(folder, "study.yaml"), "--format", "json"],
                                      capture_output=True, text=True, check=True).stdout)[number]["params"]["x"]
        if x in first_with:
            assert row["user"].get("duplicate_of") == first_with[x], (number, x, row["user"], first_with)
        else:
            assert "duplicate_of" not in row["user"], (number, row["user"])
            first_with[x] = number
    assert len(first_with) < len(rows), first_with  # 10 trials over 4 values repeat some

@case
def outside_knob_the_script_runs_once_with_midpoints_or_given_params():
    folder = setup(OBJECTIVE, study("alone", 1))
    env = dict(os.environ, PYTHONPATH=PYTHON_DIR)
    env.pop("KNOB_CONTROL_FD", None)
    r = subprocess.run([sys.executable, "objective.py"], cwd=folder, env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert '"x": 0.0' in r.stdout and '"kind": "a"' in r.stdout and '"units_a": 8' in r.stdout, r.stdout
    assert "value 1.0" in r.stdout, r.stdout
    r = subprocess.run([sys.executable, "objective.py", "--params", '{"x": 3.0, "kind": "b"}'], cwd=folder, env=env,
                       capture_output=True, text=True)
    assert r.returncode == 0 and "value 4.0" in r.stdout and '"rate_b": 0.5' in r.stdout, r.stdout + r.stderr


@case
def a_step_that_does_not_divide_the_range_lowers_high_as_optuna_does():
    cases = [(0.0, 1.0, 0.3), (0.1, 1.0, 0.2), (-2.5, 3.0, 0.7), (0.0, 1.0, 0.25), (1, 10, 4), (-7, 100, 9), (3, 3, 5)]
    objective = """
        import warnings
        import knob

        CASES = %r

        def objective(trial):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                for i, (low, high, step) in enumerate(CASES):
                    if isinstance(step, int):
                        trial.suggest_int("p%%d" %% i, low, high, step=step)
                    else:
                        trial.suggest_float("p%%d" %% i, low, high, step=step)
            trial.set_user_attr("warnings", len(caught))
            return 0.0

        if __name__ == "__main__":
            knob.serve(objective)
    """ % (cases,)
    folder = setup(objective, study("steps", 3, 1))
    run(folder)
    import optuna  # 3.1, Debian's
    warnings.simplefilter("ignore")
    loaded = optuna.load_study(study_name="steps", storage="sqlite:///" + os.path.join(folder, "knob.db"))
    assert [t.state.name for t in loaded.trials] == ["COMPLETE"] * 3, loaded.trials
    for t in loaded.trials:
        for i, (low, high, step) in enumerate(cases):
            cls = optuna.distributions.IntDistribution if isinstance(step, int) else \
                optuna.distributions.FloatDistribution
            assert t.distributions["p%d" % i] == cls(low, high, step=step), (i, t.distributions["p%d" % i])
            assert low <= t.params["p%d" % i] <= t.distributions["p%d" % i].high, (i, t.params)
        assert t.user_attrs["warnings"] == 5, t.user_attrs  # one per range that changed


@case
def trial_study_reads_the_best_trial_as_it_is_when_asked():
    objective = """
        import knob

        def objective(trial):
            x = trial.suggest_float("x", -4, 4)
            study = trial.study
            seen = {"name": study.study_name, "direction": study.direction.name,
                    "optuna_direction": study.direction == optuna.study.StudyDirection.MAXIMIZE}
            try:
                best = study.best_trial
                seen.update(best_number=best.number, best_value=study.best_value, best_params=study.best_params,
                            best_user=best.user_attrs.get("square"))
            except ValueError as error:
                seen["none_yet"] = str(error)
            trial.set_user_attr("seen", seen)
            trial.set_user_attr("square", x * x)
            if trial.number == 3:
                raise knob.TrialPruned()
            return -(x - 1) ** 2

        if __name__ == "__main__":
            import optuna  # the objective compares with Optuna's enum, as LightGBMPruningCallback does
            knob.serve(objective)
    """
    folder = setup(objective, study("view", 8, 1, top="direction: maximize"))
    run(folder)
    rows = trials(folder)
    values = {}
    db = sqlite3.connect(os.path.join(folder, "knob.db"))
    for number, value in db.execute("SELECT t.number, v.value FROM trials t JOIN trial_values v USING (trial_id)"):
        values[number] = value
    for n in range(8):
        seen = rows[n]["user"]["seen"]
        assert seen["name"] == "view" and seen["direction"] == "MAXIMIZE" and seen["optuna_direction"], seen
        earlier = {k: v for k, v in values.items() if k < n and rows[k]["state"] == "COMPLETE"}
        if not earlier:
            assert seen.get("none_yet") == "No trials are completed yet.", seen
            continue
        best = max(earlier, key=lambda k: (earlier[k], -k))
        assert seen["best_number"] == best and seen["best_value"] == earlier[best], (n, seen, earlier)
        assert seen["best_user"] == rows[best]["user"]["square"], (n, seen)
        assert abs(seen["best_params"]["x"] ** 2 - rows[best]["user"]["square"]) < 1e-9, (n, seen)
    assert rows[3]["state"] == "PRUNED", rows[3]


CHECKPOINTING = """
    import os
    import knob

    def objective(trial):
        x = trial.suggest_float("x", -3, 3)
        os.makedirs(os.path.join(knob.trial_dir(), "out", "checkpoint-%d" % trial.number))
        if trial.number % 3 == 1:
            raise knob.TrialPruned()
        if trial.number == 5:
            raise RuntimeError("no luck")
        return x * x

    if __name__ == "__main__":
        knob.serve(objective)
"""


def checkpoints_of(folder, study_name):
    runs = os.path.join(folder, "knob-runs", study_name)
    return {int(t[6:]) for t in os.listdir(runs) if t.startswith("trial-")
            and os.path.isdir(os.path.join(runs, t, "out", "checkpoint-" + str(int(t[6:]))))}


@case
def checkpoints_keep_best_or_none_and_delete_study_purge():
    folder = setup(CHECKPOINTING, study("keep", 8, 1, top="checkpoints: {keep: best}"))
    run(folder)
    rows = trials(folder)
    best = min((n for n, r in rows.items() if r["state"] == "COMPLETE"),
               key=lambda n: json.loads(subprocess.run([KNOB, "trials", os.path.join(folder, "study.yaml"),
                                                         "--format", "json"], capture_output=True, text=True,
                                                        check=True).stdout)[n]["value"])
    assert checkpoints_of(folder, "keep") == {best}, (checkpoints_of(folder, "keep"), best)
    with open(os.path.join(folder, "study.yaml")) as f:
        text = f.read()
    with open(os.path.join(folder, "study.yaml"), "w") as f:
        f.write(text.replace("keep: best", "keep: none").replace("n_trials: 8", "n_trials: 12"))
    run(folder)
    assert checkpoints_of(folder, "keep") == {best}, checkpoints_of(folder, "keep")  # earlier trials as they were
    # Purge: the study and its folder go; a folder beside it stays.
    beside = os.path.join(folder, "knob-runs", "mine")
    os.makedirs(beside)
    r = subprocess.run([KNOB, "delete-study", os.path.join(folder, "study.yaml"), "--purge"], capture_output=True,
                       text=True)
    assert r.returncode == 0 and "removed 13 trial folders" in r.stderr, (r.returncode, r.stderr)
    assert not os.path.exists(os.path.join(folder, "knob-runs", "keep")), os.listdir(os.path.join(folder, "knob-runs"))
    assert os.path.isdir(beside)
    r = subprocess.run([KNOB, "status", os.path.join(folder, "study.yaml")], capture_output=True, text=True)
    assert r.returncode == 2 and "no study" in r.stderr, r.stderr


sys.exit(1 if failures else 0)
