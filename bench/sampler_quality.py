#!/usr/bin/python3
"""Sampler quality on problems of nine families, knob against Optuna 3.1 and 5.0 in the same run.

Usage: bench/sampler_quality.py BUILD_DIR [--seeds 10] [--gp-seeds 5] [--trials 100]
                                          [--problems a,b,...] [--tables DIR] [--define-by-run]

Problems (bench/objectives, one shared library for both tools), each with a family:
  synthetic  the original continuous and stepped test functions (branin, hartmann6, ...)
  proxy      the original mixed and conditional training-space proxies
  bbob       BBOB-like continuous functions, 2 to 20 dimensions, shifted and rotated
  mixed      newer mixed and conditional proxies (written after the defaults were chosen)
  hpobench, hpolib, nasbench201
             lookups in the real HPO tables of shared/hpo-tables (its README's rule)
  divergent  training proxies whose runs diverge above some learning rate: the loss
             explodes (finite, orders of magnitude above the good values) or is NaN
             (a failed trial, in both tools)
  memory     training proxies whose runs crash (NaN) past a memory budget, the best
             configuration on that edge
Each problem is minimised for TRIALS trials by knob random, tpe, gp and auto (the
default) and by Optuna 3.1 TPESampler (python3-optuna), Optuna 5.0 TPESampler and
GPSampler (PyPI, in BUILD_DIR/sampler-peer, installed on first use), all seeded.
Regret: the true value of the best observed trial minus the optimum; per sampler the
median over seeds. Ratio of a to b: max(a, f) / max(b, f) with f = 1% of knob random's
median regret (the tables' README's rule: within 1% of what random search leaves is
solved). Printed per problem, then geometric means for the families the defaults were
chosen on (synthetic, proxy) and the held-out ones, and a leave-one-family-out check of
auto's rule. Peer runs are pure functions of their seed: they are kept in
BUILD_DIR/sampler-bench-cache/ (delete it to measure them again).
"""
import argparse
import ctypes
import json
import math
import multiprocessing
import os
import statistics
import subprocess
import sys
import time
import warnings

from bench_common import load_objectives, suggest

HERE = os.path.dirname(os.path.abspath(__file__))
SOLVED_SHARE = 0.01
CHOOSING_FAMILIES = ("synthetic", "proxy")
ORIGINAL_PROXIES = {"mlp_proxy", "categorical5", "conditional_models", "gbm_proxy", "svm_proxy", "rl_proxy",
                    "int_quadratic4"}


# Settings of auto measured beside its default for the leave-one-family-out check:
# the former rule (gp alone on plain spaces, tpe alone on conditional ones), tpe
# alone on conditional spaces, tpe every 3rd ask without the adaptive lead, and the
# adaptive lead with the other sampler every 2nd, 5th (the default before
# samplers stopped repeating trials) or 8th ask, and the lead judged on the best
# tenth or twentieth of the trials instead of the best fifth.
AUTO_VARIANTS = [{"adaptive": False, "other_every": 0, "share_conditional": False}, {"share_conditional": False},
                 {"adaptive": False, "other_every": 3}, {"other_every": 2}, {"other_every": 5}, {"other_every": 8},
                 {"lead_top": 0.1}, {"lead_top": 0.05}]


def family_of(info):
    if "family" in info:
        return info["family"]
    return "proxy" if info["name"] in ORIGINAL_PROXIES else "synthetic"





def peer_sampler(optuna, kind, seed):
    if kind == "tpe31" or kind == "tpe5":
        return optuna.samplers.TPESampler(seed=seed)
    if kind == "gp5":
        return optuna.samplers.GPSampler(seed=seed)
    raise ValueError(kind)


STARTS_RECORDED = 10  # the peers' first trials kept (their random startup), for bench/gp_paired.py


def peer_run(job):
    """One seeded Optuna study; returns (problem, seed, best true value, seconds, its first
    trials' internal values in sorted-name order, None where inactive)."""
    build, kind, index, seed, trials = job
    import optuna
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    warnings.simplefilter("ignore")
    lib, infos = load_objectives(build)
    info = infos[index]
    names = sorted(info["space"])
    conditions = {n: spec["when"] for n, spec in info["space"].items() if "when" in spec}
    for child, (parent, value) in info.get("conditional", {}).items():
        conditions[child] = {parent: value}
    best = [math.inf, math.inf]  # observed, true
    starts = []

    def objective(trial):
        x = {}
        for name in names:
            if name not in conditions:
                x[name] = suggest(trial, name, info["space"][name])
        for name in names:
            if name in conditions:
                (parent, value), = conditions[name].items()
                active = info["space"][parent]["choices"][int(x[parent])] == value
                x[name] = suggest(trial, name, info["space"][name]) if active else math.nan
        arr = (ctypes.c_double * len(names))(*[x[n] for n in names])
        if trial.number < STARTS_RECORDED:
            starts.append([None if math.isnan(x[n]) else x[n] for n in names])
        observed = lib.knob_objective_eval(index, arr, len(names), seed * 100000 + trial.number)
        if observed < best[0]:
            best[0] = observed
            best[1] = lib.knob_objective_eval(index, arr, len(names), -1)
        return observed

    start = time.time()
    study = optuna.create_study(sampler=peer_sampler(optuna, kind, seed))
    study.optimize(objective, n_trials=trials)
    return info["name"], seed, best[1], time.time() - start, starts


def worker_main(argv):
    """--worker JOBS_JSON: run peer jobs in this interpreter, one JSON line each."""
    for job in json.loads(argv[0]):
        name, seed, best, seconds, starts = peer_run(tuple(job))
        print(json.dumps({"problem": name, "seed": seed, "best": best, "seconds": seconds, "starts": starts}),
              flush=True)


def peer_python(build):
    venv = os.path.join(build, "sampler-peer")
    python = os.path.join(venv, "bin", "python")
    if not os.path.exists(python):
        print("installing optuna==5.0.0, scipy and torch into", venv, file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
        subprocess.run([os.path.join(venv, "bin", "pip"), "install", "-q", "optuna==5.0.0", "scipy", "torch"],
                       check=True)
    return python


def run_peers(build, kind, jobs, cache_dir, workers):
    """Results {problem: {seed: (best, seconds)}} of one peer, from the cache where known."""
    records = peer_records(build, kind, jobs, cache_dir, workers)
    return {p: {seed: (r["best"], r["seconds"]) for seed, r in by_seed.items()} for p, by_seed in records.items()}


def peer_records(build, kind, jobs, cache_dir, workers, need=()):
    """Records {problem: {seed: worker line}} of one peer, from the cache where it has
    them with the keys `need` (run again where not)."""
    os.makedirs(cache_dir, exist_ok=True)
    results, todo = {}, []
    for job in jobs:
        _, _, index, seed, trials = job
        path = os.path.join(cache_dir, f"{kind}-{job[2]}-{seed}-{trials}.json")
        r = None
        if os.path.exists(path):
            with open(path) as f:
                r = json.load(f)
        if r is not None and all(k in r for k in need):
            results.setdefault(r["problem"], {})[seed] = r
        else:
            todo.append(job)
    if not todo:
        return results
    python = sys.executable if kind == "tpe31" else peer_python(build)
    chunks = [todo[i::workers] for i in range(workers)]
    procs = [subprocess.Popen([python, os.path.abspath(__file__), "--worker", json.dumps(chunk)],
                              stdout=subprocess.PIPE, text=True) for chunk in chunks if chunk]
    _, infos = load_objectives(build)
    name_to_index = {info["name"]: i for i, info in enumerate(infos)}
    for proc in procs:
        for line in proc.stdout:
            r = json.loads(line)
            results.setdefault(r["problem"], {})[r["seed"]] = r
            path = os.path.join(cache_dir, f"{kind}-{name_to_index[r['problem']]}-{r['seed']}-{todo[0][4]}.json")
            with open(path, "w") as f:
                json.dump(r, f)
        if proc.wait() != 0:
            raise SystemExit(f"peer {kind} failed")
    return results


def run_knob(build, sampler, seeds, trials, names, starts_file=None):
    """Starts knob_tpe_bench quality (its studies from starts_file's first trials, if given)."""
    proc = subprocess.Popen([os.path.join(build, "bench", "knob_tpe_bench"), "quality", json.dumps(sampler),
                             str(seeds), str(trials), ",".join(names)] + ([starts_file] if starts_file else []),
                            stdout=subprocess.PIPE, text=True)
    return proc


def collect_knob(proc):
    out, _ = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit("knob_tpe_bench failed")
    results = {}
    for line in out.splitlines():
        r = json.loads(line)
        results.setdefault(r["function"], []).append(r["best"])
    return results


def geo(xs):
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else float("nan")


def print_auto_variants(rows, variants):
    """auto's default against its other settings: each family judged by the setting best on the others."""
    settings = {"auto": "default"} | {label: json.dumps(options) for label, options in variants.items()}
    print("\nauto's settings (geometric mean vs best Optuna over every family; vs o3.1 tpe; problems above 1.25x o3.1):")
    for label, text in settings.items():
        over = [r["problem"] for r in rows if r[f"{label}/o3.1"] > 1.25]
        print(f"  {label:6} {text:38} {geo([r[f'{label}/best'] for r in rows]):.3f}  "
              f"{geo([r[f'{label}/o3.1'] for r in rows]):.3f}  {', '.join(over) or '-'}")
    print("leave one family out over these settings:")
    held_out = []
    for fam in sorted({r["family"] for r in rows}):
        pick = min(settings, key=lambda label: geo([r[f"{label}/best"] for r in rows if r["family"] != fam]))
        here = [r[f"{pick}/best"] for r in rows if r["family"] == fam]
        held_out += here
        print(f"  {fam:12} pick {pick:6} {geo(here):.3f}")
    print(f"  over all held-out families: {geo(held_out):.3f}")


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        return worker_main(sys.argv[2:])
    parser = argparse.ArgumentParser()
    parser.add_argument("build")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--gp-seeds", type=int, default=5)
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--problems", default="", help="comma-separated names (default: all)")
    parser.add_argument("--families", default="", help="comma-separated families (default: all)")
    parser.add_argument("--tables", default=os.path.join(HERE, "..", "..", "shared", "hpo-tables"))
    parser.add_argument("--knob-samplers", default="random,tpe,gp,auto")
    parser.add_argument("--no-peers", action="store_true", help="knob only (tuning)")
    parser.add_argument("--peers", default="tpe31,tpe5,gp5", help="which Optuna samplers (tuning)")
    parser.add_argument("--tpe-options", default="{}", help="options of knob's tpe (tuning)")
    parser.add_argument("--gp-options", default="{}", help="options of knob's gp (tuning)")
    parser.add_argument("--define-by-run", action="store_true",
                        help="knob's studies declare no space: each parameter is suggested as the objective "
                             "reaches it, as an Optuna objective under knob.serve (the peers' objectives are "
                             "define-by-run anyway)")
    parser.add_argument("--json", help="also write every problem's regrets and ratios to this file")
    parser.add_argument("--auto-variants", default=json.dumps(AUTO_VARIANTS),
                        help="other settings of auto (a JSON list of option objects) for the leave-one-family-out "
                             "choice of its default; [] for none")
    args = parser.parse_args()
    build = os.path.abspath(args.build)
    os.environ["KNOB_HPO_TABLES"] = os.path.abspath(args.tables)
    _, infos = load_objectives(build)
    picked = [i for i, info in enumerate(infos)
              if (not args.problems or info["name"] in args.problems.split(","))
              and (not args.families or family_of(info) in args.families.split(","))]
    names = [infos[i]["name"] for i in picked]
    workers = max(1, os.cpu_count() or 1)

    started = time.time()
    knob_samplers = args.knob_samplers.split(",")
    main = "auto" if "auto" in knob_samplers else knob_samplers[-1]  # the sampler the ratio columns judge
    knob = {}
    pending = {}
    specs = {s: {"name": s, "options": json.loads({"tpe": args.tpe_options, "gp": args.gp_options}.get(s, "{}"))}
             for s in knob_samplers}
    if args.define_by_run:
        for spec in specs.values():
            spec["define_by_run"] = True
    variants = {f"auto{i + 1}": options for i, options in enumerate(json.loads(args.auto_variants))}
    if "auto" in knob_samplers:
        specs.update({label: {"name": "auto", "options": options, "define_by_run": args.define_by_run}
                      for label, options in variants.items()})
    for s, spec in specs.items():  # two at a time: one per core
        pending[s] = run_knob(build, spec, args.seeds, args.trials, names)
        if len(pending) >= workers:
            for k, proc in pending.items():
                knob[k] = collect_knob(proc)
            pending = {}
    for k, proc in pending.items():
        knob[k] = collect_knob(proc)
    knob_seconds = time.time() - started

    peers = {}
    if not args.no_peers:
        cache = os.path.join(build, "sampler-bench-cache")
        for kind, seeds in (("tpe31", args.seeds), ("tpe5", args.seeds), ("gp5", args.gp_seeds)):
            if kind not in args.peers.split(","):
                continue
            jobs = [(build, kind, i, s, args.trials) for i in picked for s in range(seeds)]
            peers[kind] = run_peers(build, kind, jobs, cache, workers)
    baselines = {}
    baseline_file = os.path.join(args.tables, "optuna_baselines.json")
    if os.path.exists(baseline_file):
        with open(baseline_file) as f:
            baselines = json.load(f)

    print(f"{args.trials} trials; median regret over {args.seeds} seeds (Optuna 5.0 GP: {args.gp_seeds}); "
          f"ratio floor 1% of knob random's" + ("; knob's studies define-by-run" if args.define_by_run else ""))
    columns = [f"knob {s}" for s in knob_samplers] + (["o3.1 tpe", "o5 tpe", "o5 gp"] if peers else [])
    print(f"{'problem':26} {'family':11} " + " ".join(f"{c:>10}" for c in columns) +
          (f" {main + '/o3.1':>9} {main + '/best':>9}" if peers else ""))
    rows = []
    for i in picked:
        info = infos[i]
        name, optimum, fam = info["name"], info["optimum"], family_of(info)
        regret = {}
        for s in specs:
            regret[f"knob {s}"] = statistics.median(knob[s][name]) - optimum
        for kind, label in (("tpe31", "o3.1 tpe"), ("tpe5", "o5 tpe"), ("gp5", "o5 gp")):
            if kind in peers and name in peers[kind]:
                regret[label] = statistics.median(b for b, _ in peers[kind][name].values()) - optimum
        floor = max(SOLVED_SHARE * regret.get("knob random", 0), 1e-12)
        # NaN where a peer was left out (`--peers`)
        ratio = lambda a, b: max(regret[a], floor) / max(regret[b], floor) if b in regret else math.nan
        conditional = "conditional" in info or any("when" in spec for spec in info["space"].values())
        row = {"problem": name, "family": fam, "regret": regret, "conditional": conditional}
        line = f"{name:26} {fam:11} " + " ".join(f"{regret.get(c, float('nan')):10.4g}" for c in columns)
        if peers:
            best_peer = min((c for c in ("o3.1 tpe", "o5 tpe", "o5 gp") if c in regret),
                            key=lambda c: max(regret[c], floor))
            row["auto/o3.1"] = ratio(f"knob {main}", "o3.1 tpe")
            row["auto/best"] = ratio(f"knob {main}", best_peer)
            for s in specs:
                row[f"{s}/o3.1"] = ratio(f"knob {s}", "o3.1 tpe")
                row[f"{s}/best"] = ratio(f"knob {s}", best_peer)
            line += f" {row['auto/o3.1']:9.3f} {row['auto/best']:9.3f}"
        if f"{name}/tpe" in baselines:
            line += "  (shared: " + ", ".join(
                f"{k} {baselines[f'{name}/{k}']['median'] - baselines[f'{name}/{k}']['optimum']:.4g}"
                for k in ("tpe", "tpe5", "gp5") if f"{name}/{k}" in baselines) + ")"
        print(line)
        rows.append(row)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
    if not peers:
        return
    print()
    for label, keep in (("chosen on (synthetic, proxy)", lambda r: r["family"] in CHOOSING_FAMILIES),
                        ("held out (every other family)", lambda r: r["family"] not in CHOOSING_FAMILIES),
                        ("tables only", lambda r: r["family"] in ("hpobench", "hpolib", "nasbench201"))):
        part = [r for r in rows if keep(r)]
        if not part:
            continue
        summary = ", ".join(f"{s} {geo([r[f'{s}/o3.1'] for r in part]):.3f}/{geo([r[f'{s}/best'] for r in part]):.3f}"
                            for s in knob_samplers)
        worst = max(part, key=lambda r: r["auto/o3.1"])
        print(f"{label:32} n={len(part):2}  geometric means vs o3.1 tpe / vs best Optuna: {summary}; "
              f"auto's worst vs o3.1: {worst['problem']} {worst['auto/o3.1']:.3f}")
    if {"tpe", "gp"} <= set(knob_samplers):
        print_rule_choice(rows)
    if variants and "auto" in knob_samplers:
        print_auto_variants(rows, variants)
    print(f"\nknob's runs took {knob_seconds:.0f} s")


def print_rule_choice(rows):
    """Leave one family out. A rule names the sampler for plain spaces and the one for
    conditional spaces (tpe or gp); for each family, the rule best on all the others
    (geometric mean against the best Optuna sampler) is what a rule fitted without that
    family would be: its figure there is the held-out estimate."""
    print("\nleave one family out: the rule (plain space -> sampler, conditional -> sampler) best on the "
          "other families, and its figure against the best Optuna sampler on the family left out:")
    rules = [(plain, cond) for plain in ("tpe", "gp") for cond in ("tpe", "gp")]
    rule_ratio = lambda rule, r: r[f"{rule[1] if r['conditional'] else rule[0]}/best"]
    held_out = []
    for fam in sorted({r["family"] for r in rows}):
        rest = [r for r in rows if r["family"] != fam]
        here = [r for r in rows if r["family"] == fam]
        rule = min(rules, key=lambda rule: geo([rule_ratio(rule, r) for r in rest]))
        held_out += [rule_ratio(rule, r) for r in here]
        print(f"  {fam:12} rule plain->{rule[0]}, conditional->{rule[1]}: "
              f"{geo([rule_ratio(rule, r) for r in here]):.3f} (auto {geo([r['auto/best'] for r in here]):.3f})")
    best_rule = min(rules, key=lambda rule: geo([rule_ratio(rule, r) for r in rows]))
    print(f"  over all held-out families: {geo(held_out):.3f}; the rule best on every family: "
          f"plain->{best_rule[0]}, conditional->{best_rule[1]}")


if __name__ == "__main__":
    main()
