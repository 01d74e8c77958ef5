#!/usr/bin/python3
"""Several objectives: hypervolume of knob's samplers against Optuna 3.1's, same run.

Usage: multi_objective_bench.py BUILD_DIR [--seeds 3] [--budgets 100,300] [--problems zdt1,...] [--jobs 2]

Problems (minimised; `n` variables in [0, 1]): ZDT1, ZDT2, ZDT3 (2 objectives, n=10),
DTLZ1 (3 objectives, n=7), DTLZ2 (3 objectives, n=12) and C2-DTLZ2 (DTLZ2 with Deb's
C2 constraint, r=0.4: feasible points lie near the front) and WFG4 (2 objectives,
n=10: 4 position and 6 distance variables; multimodal; objectives in [0, 3] x [0, 5]). knob runs through its
command line (create-study --directions, ask, tell --values/--constraints) with
tpe (multi-objective: ranked by front and crowding distance), nsga2 and random; Optuna 3.1 runs NSGAIISampler and its multi-objective TPESampler
(constraints_func for C2-DTLZ2) in process. Hypervolume: of the feasible trials,
computed by Optuna's own WFG, against the reference point stated per problem, with
objectives as they are (no normalisation). Prints each sampler's median over seeds,
and knob's default over the better of Optuna's two.

Runs go `--jobs` at a time. A seeded Optuna run is a pure function of its seed, and
Optuna 3.1's multi-objective TPE takes about 18 minutes for one 300-trial run of a
3-objective problem on a 2-core VM, so each Optuna history is kept in
BUILD_DIR/mo-bench-cache/ (named by Optuna's version, sampler, problem, seed and
length) and read back by later runs; delete the folder to run Optuna again. knob's
runs are never cached.
"""
import argparse
import concurrent.futures
import functools
import json
import math
import os
import statistics
import subprocess
import tempfile
import warnings

import numpy as np
import optuna
from optuna._hypervolume import WFG

optuna.logging.set_verbosity(optuna.logging.WARNING)
warnings.simplefilter("ignore")


def zdt_g(x):
    return 1 + 9 * sum(x[1:]) / (len(x) - 1)


def zdt1(x):
    g = zdt_g(x)
    return [x[0], g * (1 - math.sqrt(x[0] / g))], None


def zdt2(x):
    g = zdt_g(x)
    return [x[0], g * (1 - (x[0] / g) ** 2)], None


def zdt3(x):
    g = zdt_g(x)
    return [x[0], g * (1 - math.sqrt(x[0] / g) - x[0] / g * math.sin(10 * math.pi * x[0]))], None


def dtlz1(x, m=3):
    k = x[m - 1:]
    g = 100 * (len(k) + sum((v - 0.5) ** 2 - math.cos(20 * math.pi * (v - 0.5)) for v in k))
    f = []
    for i in range(m):
        v = 0.5 * (1 + g)
        for j in range(m - 1 - i):
            v *= x[j]
        if i > 0:
            v *= 1 - x[m - 1 - i]
        f.append(v)
    return f, None


def dtlz2_values(x, m=3):
    g = sum((v - 0.5) ** 2 for v in x[m - 1:])
    f = []
    for i in range(m):
        v = 1 + g
        for j in range(m - 1 - i):
            v *= math.cos(x[j] * math.pi / 2)
        if i > 0:
            v *= math.sin(x[m - 1 - i] * math.pi / 2)
        f.append(v)
    return f


def dtlz2(x):
    return dtlz2_values(x), None


def wfg_shift_multimodal(y, a=30, b=10, c=0.35):
    # WFG's s_multi: many deceptive minima, the global one at y = c.
    t = abs(y - c) / (2 * (math.floor(c - y) + c))
    return (1 + math.cos((4 * a + 2) * math.pi * (0.5 - t)) + 4 * b * t * t) / (b + 2)


def wfg4(x, m=2, k=4):
    """WFG4 (Huband et al. 2006): multimodal, concave front, k position and n-k distance
    variables; x in [0, 1] stands for WFG's z_i / (2i)."""
    y = [wfg_shift_multimodal(v) for v in x]
    per = k // (m - 1)
    t = [sum(y[i * per:(i + 1) * per]) / per for i in range(m - 1)] + [sum(y[k:]) / (len(y) - k)]
    position, distance = t[:-1], t[-1]
    f = []
    for i in range(1, m + 1):  # WFG's concave shape h_i, scaled by S_i = 2i
        h = 1.0
        for j in range(m - i):
            h *= math.sin(position[j] * math.pi / 2)
        if i > 1:
            h *= math.cos(position[m - i] * math.pi / 2)
        f.append(distance + 2 * i * h)
    return f, None


def c2_dtlz2(x, r=0.4):
    f = dtlz2_values(x)
    m = len(f)
    near_axis = min((fi - 1) ** 2 + sum(fj * fj for j, fj in enumerate(f) if j != i) - r * r for i, fi in enumerate(f))
    near_centre = sum((fi - 1 / math.sqrt(m)) ** 2 for fi in f) - r * r
    return f, [min(near_axis, near_centre)]  # <= 0 is feasible


PROBLEMS = {  # name: (function, variables, objectives, reference point)
    "zdt1": (zdt1, 10, 2, [1.1, 11.0]),
    "zdt2": (zdt2, 10, 2, [1.1, 11.0]),
    "zdt3": (zdt3, 10, 2, [1.1, 11.0]),
    "dtlz1": (dtlz1, 7, 3, [600.0, 600.0, 600.0]),
    "dtlz2": (dtlz2, 12, 3, [2.5, 2.5, 2.5]),
    "c2dtlz2": (c2_dtlz2, 12, 3, [2.5, 2.5, 2.5]),
    "wfg4": (wfg4, 10, 2, [3.3, 5.5]),
}


DEFAULT = "knob tpe"  # knob's default sampler for several objectives


def hypervolume(points, reference):
    inside = [p for p in points if all(v < r for v, r in zip(p, reference))]
    if not inside:
        return 0.0
    return float(WFG().compute(np.array(inside), np.array(reference)))


def run_knob(knob, sampler, problem, seed, trials, folder, options=None):
    function, n, m, _ = PROBLEMS[problem]
    db = os.path.join(folder, "%s-%s-%d-%d.db" % (problem, sampler, seed, abs(hash(json.dumps(options))) % 10**6))
    space = {"x%02d" % i: {"type": "float", "low": 0, "high": 1} for i in range(n)}
    subprocess.run([knob, "create-study", "--storage", db, "--study", "s", "--directions", ",".join(["minimize"] * m),
                    "--sampler", sampler, "--sampler-options", json.dumps(dict(options or {}, seed=seed)),
                    "--space", json.dumps(space)],
                   check=True, capture_output=True)
    history = []
    for _ in range(trials):
        trial = json.loads(subprocess.run([knob, "ask", "--storage", db, "--study", "s"], check=True,
                                          capture_output=True, text=True).stdout)
        x = [trial["params"]["x%02d" % i] for i in range(n)]
        values, constraints = function(x)
        argv = [knob, "tell", "--storage", db, "--study", "s", "--trial", str(trial["number"]),
                "--values", ",".join(repr(v) for v in values)]
        if constraints:
            argv += ["--constraints", ",".join(repr(c) for c in constraints)]
        subprocess.run(argv, check=True, capture_output=True)
        history.append((values, constraints))
    return history


def run_optuna(kind, problem, seed, trials):
    function, n, m, _ = PROBLEMS[problem]
    constrained = problem.startswith("c")
    constraints_func = (lambda t: t.user_attrs["c"]) if constrained else None
    if kind == "nsga2":
        sampler = optuna.samplers.NSGAIISampler(seed=seed, constraints_func=constraints_func)
    else:
        sampler = optuna.samplers.TPESampler(seed=seed, constraints_func=constraints_func)
    study = optuna.create_study(directions=["minimize"] * m, sampler=sampler)
    history = []

    def objective(trial):
        x = [trial.suggest_float("x%02d" % i, 0, 1) for i in range(n)]
        values, constraints = function(x)
        if constraints:
            trial.set_user_attr("c", constraints)
        history.append((values, constraints))
        return tuple(values)

    study.optimize(objective, n_trials=trials)
    return history


def run_optuna_cached(cache, kind, problem, seed, trials):
    path = os.path.join(cache, "optuna%s-%s-%s-%d-%d.json" % (optuna.__version__, kind, problem, seed, trials))
    if os.path.exists(path):
        with open(path) as f:
            return [tuple(entry) for entry in json.load(f)]
    history = run_optuna(kind, problem, seed, trials)
    with open(path + ".tmp", "w") as f:
        json.dump(history, f)
    os.replace(path + ".tmp", path)
    return history


def volume_after(history, budget, reference):
    points = [v for v, c in history[:budget] if not c or all(x <= 0 for x in c)]
    return hypervolume(points, reference)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("build")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--budgets", default="100,300")
    parser.add_argument("--problems", default=",".join(PROBLEMS))
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--tpe-options", default="{}", help="extra options of knob's tpe (JSON), to compare settings")
    parser.add_argument("--samplers", default="", help="only these columns (comma-separated names)")
    args = parser.parse_args()
    knob = os.path.abspath(os.path.join(args.build, "knob"))
    budgets = [int(b) for b in args.budgets.split(",")]
    folder = tempfile.mkdtemp(prefix="knob-mo-bench-")
    cache = os.path.join(os.path.abspath(args.build), "mo-bench-cache")
    os.makedirs(cache, exist_ok=True)
    samplers = [("knob tpe", functools.partial(run_knob, knob, "tpe", folder=folder,
                                               options=json.loads(args.tpe_options))),
                ("knob nsga2", functools.partial(run_knob, knob, "nsga2", folder=folder)),
                ("knob random", functools.partial(run_knob, knob, "random", folder=folder)),
                ("optuna nsga2", functools.partial(run_optuna_cached, cache, "nsga2")),
                ("optuna motpe", functools.partial(run_optuna_cached, cache, "tpe"))]
    if args.samplers:
        keep = set(args.samplers.split(",")) | {DEFAULT, "optuna nsga2", "optuna motpe"}
        samplers = [(name, run) for name, run in samplers if name in keep]
    pool = concurrent.futures.ProcessPoolExecutor(max_workers=args.jobs)
    # Every run of every problem, started at once; the table is printed as problems finish.
    runs = {(problem, seed, name): pool.submit(run, problem, seed, max(budgets))
            for problem in args.problems.split(",") for seed in range(args.seeds) for name, run in samplers}
    print("median hypervolume over %d seeds (reference point per problem; higher is better)" % args.seeds)
    header = ("%-9s %6s" % ("problem", "trials") + "".join("%14s" % name for name, _ in samplers) +
              "  %s/best optuna" % DEFAULT)
    print(header)
    ratios = {b: [] for b in budgets}
    for problem in args.problems.split(","):
        reference = PROBLEMS[problem][3]
        volumes = {name: {b: [] for b in budgets} for name, _ in samplers}
        for seed in range(args.seeds):
            for name, run in samplers:
                history = runs[(problem, seed, name)].result()
                for b in budgets:
                    volumes[name][b].append(volume_after(history, b, reference))
        for b in budgets:
            medians = {name: statistics.median(volumes[name][b]) for name, _ in samplers}
            best_optuna = max(medians["optuna nsga2"], medians["optuna motpe"])
            ratio = medians[DEFAULT] / best_optuna if best_optuna > 0 else float("nan")
            ratios[b].append(ratio)
            print("%-9s %6d" % (problem, b) + "".join("%14.4g" % medians[name] for name, _ in samplers) +
                  "  %.3f" % ratio, flush=True)
        print("           reference point %s" % reference)
    for b in budgets:
        finite = [r for r in ratios[b] if r > 0 and math.isfinite(r)]
        if finite:
            print("geometric mean of %s/best-optuna at %d trials: %.3f" % (
                DEFAULT, b, math.exp(sum(math.log(r) for r in finite) / len(finite))))


if __name__ == "__main__":
    main()
