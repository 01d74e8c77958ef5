#!/usr/bin/python3
"""knob's gp against Optuna 5.0's GPSampler, seed by seed, from the same first trials.

Usage: bench/gp_paired.py BUILD_DIR [--seeds 12] [--trials 100] [--problems a,b,...]
                                    [--sampler gp|SAMPLER_JSON] [--tables DIR]

On a multimodal function the median regret of a few seeds is decided as much by where
a sampler's random first trials fell as by the sampler: which basin the model is handed
at trial 10 is the basin it refines. Optuna's GPSampler(seed) and knob's gp draw
different first trials, so their medians differ by that luck too
(bench/sampler_quality.py runs Optuna's GP at 3 seeds). Here each Optuna run
records its first 10 trials (its random startup), knob's sampler starts from the
same points (enqueued, then asked as any trial) and both go on to TRIALS; then per
problem: the median regret of Optuna's GP, of knob's from the same start and of
knob's from its own start, and in how many seeds knob's ends better, equal or worse
than Optuna's from the same start, with a two-sided sign test's p. The Optuna runs
are kept in BUILD_DIR/sampler-bench-cache/ as sampler_quality.py keeps them.
"""
import argparse
import json
import math
import os
import statistics
import sys
import tempfile

from bench_common import load_objectives
from sampler_quality import collect_knob, peer_records, run_knob

HERE = os.path.dirname(os.path.abspath(__file__))
# A problem of each kind of space: continuous (smooth, multimodal, BBOB), ints,
# categoricals, real tables (ordinal, mixed, categorical) and runs that fail.
PROBLEMS = ["hartmann6", "rosenbrock4", "levy4", "int_quadratic4", "categorical5", "rl_proxy", "bbob_rastrigin5",
            "bbob_rosenbrock5", "bbob_ellipsoid10", "hpobench-vehicle", "hpolib-naval_propulsion",
            "nasbench201-cifar10", "nan_mlp"]


def sign_test(better, worse):
    """Two-sided p of a sign test (ties left out)."""
    n, k = better + worse, min(better, worse)
    if n == 0:
        return 1.0
    return min(1.0, 2 * sum(math.comb(n, i) for i in range(k + 1)) / 2 ** n)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("build")
    parser.add_argument("--seeds", type=int, default=12)
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--problems", default=",".join(PROBLEMS))
    parser.add_argument("--sampler", default="gp",
                        help='knob\'s sampler: a name (gp, auto, ...) or its JSON ({"name":"gp","options":{...}})')
    parser.add_argument("--tables", default=os.path.join(HERE, "..", "..", "shared", "hpo-tables"))
    args = parser.parse_args()
    build = os.path.abspath(args.build)
    os.environ["KNOB_HPO_TABLES"] = os.path.abspath(args.tables)
    _, infos = load_objectives(build)
    index = {info["name"]: i for i, info in enumerate(infos)}
    names = args.problems.split(",")
    unknown = [n for n in names if n not in index]
    if unknown:
        raise SystemExit(f"gp_paired.py: unknown problem {unknown[0]}")
    jobs = [(build, "gp5", index[n], s, args.trials) for n in names for s in range(args.seeds)]
    records = peer_records(build, "gp5", jobs, os.path.join(build, "sampler-bench-cache"),
                           max(1, os.cpu_count() or 1), need=("starts",))

    sampler = json.loads(args.sampler) if args.sampler.startswith("{") else {"name": args.sampler}
    print(f"knob {json.dumps(sampler)} against Optuna 5.0 GPSampler, {args.trials} trials, {args.seeds} seeds; "
          f"median regret; seeds where knob ends better/equal/worse from the same start")
    print(f"{'problem':26} {'o5 gp':>10} {'same start':>10} {'own start':>10}  better/equal/worse  sign p")
    totals = [0, 0, 0]
    for name in names:
        optimum = infos[index[name]]["optimum"]
        with tempfile.NamedTemporaryFile("w", suffix=".jsonl") as starts:
            for seed, r in records[name].items():
                starts.write(json.dumps({"problem": name, "seed": seed, "starts": r["starts"]}) + "\n")
            starts.flush()
            same_proc = run_knob(build, sampler, args.seeds, args.trials, [name], starts.name)
            own_proc = run_knob(build, sampler, args.seeds, args.trials, [name])
            same, own = collect_knob(same_proc)[name], collect_knob(own_proc)[name]  # best per seed, in order
        seeds = sorted(records[name])
        theirs = [records[name][s]["best"] - optimum for s in seeds]
        ours = [same[s] - optimum for s in seeds]
        tolerance = 1e-9 * max(1.0, abs(optimum))
        counts = [sum(a < b - tolerance for a, b in zip(ours, theirs)), 0, sum(a > b + tolerance for a, b in zip(ours, theirs))]
        counts[1] = len(seeds) - counts[0] - counts[2]
        totals = [t + c for t, c in zip(totals, counts)]
        print(f"{name:26} {statistics.median(theirs):10.4g} {statistics.median(ours):10.4g} "
              f"{statistics.median(own[s] - optimum for s in seeds):10.4g}  "
              f"{'/'.join(map(str, counts)):>18}  {sign_test(counts[0], counts[2]):.2f}")
    print(f"{'all':26} {'':32}  {'/'.join(map(str, totals)):>18}  {sign_test(totals[0], totals[2]):.2f}")


if __name__ == "__main__":
    sys.exit(main())
