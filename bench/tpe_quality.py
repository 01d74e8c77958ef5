#!/usr/bin/python3
"""TPE quality: knob's TPE and random search against Optuna 3.1's TPE, same functions, same run.

Usage: bench/tpe_quality.py BUILD_DIR [--seeds 20] [--trials 100] [--knob-options JSON]
                                      [--optuna-cache FILE]

Every function of bench/objectives (mixed spaces: continuous, log, int, stepped,
categorical, conditional, noisy) is minimised for TRIALS trials from SEEDS seeds by
knob TPE, knob random and Optuna 3.1 TPESampler(seed=s) (defaults). Regret is the
true value of the best observed trial minus the known optimum; a regret below 0.1%
of random search's counts as solved (that floor keeps an exactly solved function
from dominating). Prints, per function, the median regret of each and the ratio
knob/Optuna, then the geometric mean of the ratios. Functions marked holdout were
never used to choose knob's defaults.
"""
import argparse
import ctypes
import json
import math
import multiprocessing
import os
import statistics
import subprocess
import warnings

from bench_common import load_objectives, suggest

# A regret below this share of random search's median regret counts as solved: it
# keeps a function that one sampler solves exactly from dominating the geometric mean.
SOLVED_SHARE = 1e-3




def original_indices(infos):
    """The sixteen functions this bench has always used (the newer sets have a family)."""
    return [i for i, info in enumerate(infos) if "family" not in info]



def optuna_run(args):
    build, index, seed, trials = args
    import optuna
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    warnings.simplefilter("ignore")
    lib, infos = load_objectives(build)
    info = infos[index]
    names = sorted(info["space"])
    conditional = info.get("conditional", {})
    best = [math.inf, math.inf]  # observed, true

    def objective(trial):
        x = {}
        for name in names:  # parents first: they are never conditional themselves
            if name not in conditional:
                x[name] = suggest(trial, name, info["space"][name])
        for name in names:
            if name in conditional:
                parent, value = conditional[name]
                active = info["space"][parent]["choices"][int(x[parent])] == value
                x[name] = suggest(trial, name, info["space"][name]) if active else math.nan
        arr = (ctypes.c_double * len(names))(*[x[n] for n in names])
        observed = lib.knob_objective_eval(index, arr, len(names), seed * 100000 + trial.number)
        if observed < best[0]:
            best[0] = observed
            best[1] = lib.knob_objective_eval(index, arr, len(names), -1)
        return observed

    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=seed))
    study.optimize(objective, n_trials=trials)
    return info["name"], seed, best[1]


def knob_runs(build, sampler, seeds, trials):
    out = subprocess.run([os.path.join(build, "bench", "knob_tpe_bench"), "quality", json.dumps(sampler),
                          str(seeds), str(trials)], check=True, capture_output=True, text=True).stdout
    results = {}
    for line in out.splitlines():
        r = json.loads(line)
        results.setdefault(r["function"], []).append(r["best"])
    return results


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("build")
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--knob-options", default="{}")
    parser.add_argument("--optuna-cache", help="reuse Optuna's results from this file (tuning only)")
    args = parser.parse_args()
    _, infos = load_objectives(args.build)

    optuna_results = None
    if args.optuna_cache and os.path.exists(args.optuna_cache):
        with open(args.optuna_cache) as f:
            optuna_results = json.load(f)
    if optuna_results is None:
        jobs = [(args.build, i, s, args.trials) for i in original_indices(infos) for s in range(args.seeds)]
        with multiprocessing.Pool(os.cpu_count()) as pool:
            optuna_results = {}
            for name, seed, best in pool.imap(optuna_run, jobs):
                optuna_results.setdefault(name, []).append(best)
        if args.optuna_cache:
            with open(args.optuna_cache, "w") as f:
                json.dump(optuna_results, f)

    tpe = knob_runs(args.build, {"name": "tpe", "options": json.loads(args.knob_options)}, args.seeds, args.trials)
    rnd = knob_runs(args.build, {"name": "random"}, args.seeds, args.trials)

    print(f"{args.trials} trials x {args.seeds} seeds; median regret (best true value - optimum)")
    print(f"{'function':20} {'knob tpe':>11} {'optuna tpe':>11} {'knob random':>11} {'knob/optuna':>11}")
    ratios = {"tuned": [], "holdout": []}
    random_ratios = []
    for info in (infos[i] for i in original_indices(infos)):
        name, opt = info["name"], info["optimum"]
        r = statistics.median(rnd[name]) - opt
        floor = max(SOLVED_SHARE * r, 1e-12)
        regret = lambda values: max(statistics.median(values) - opt, floor)
        k, o = regret(tpe[name]), regret(optuna_results[name])
        ratio = k / o
        ratios["holdout" if info["holdout"] else "tuned"].append(ratio)
        random_ratios.append(r / o)
        mark = " (holdout)" if info["holdout"] else ""
        print(f"{name:20} {k:11.4g} {o:11.4g} {r:11.4g} {ratio:11.3f}{mark}")
    geo = lambda xs: math.exp(sum(math.log(x) for x in xs) / len(xs))
    all_ratios = ratios["tuned"] + ratios["holdout"]
    print(f"geometric mean knob/optuna: {geo(all_ratios):.3f} (tuned {geo(ratios['tuned']):.3f}, "
          f"holdout {geo(ratios['holdout']):.3f}); worst function {max(all_ratios):.3f}")
    print(f"median knob/optuna: {statistics.median(all_ratios):.3f}; "
          f"geometric mean random/optuna: {geo(random_ratios):.3f}")


if __name__ == "__main__":
    main()
