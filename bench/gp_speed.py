#!/usr/bin/python3
"""GP sampler speed: one ask with N finished trials of 10 params, knob's gp against Optuna
5.0's GPSampler (PyPI, in BUILD_DIR/sampler-peer, made by bench/sampler_quality.py), in
process, in the same run.

Usage: bench/gp_speed.py BUILD_DIR [--sizes 100,300,1000] [--reps 7]

Both histories are N random trials of bench/tpe_speed.py's space (3 float, 3 log-float,
2 int, 2 categorical) valued as knob_tpe_bench's filler values them (the sum of the
internal values mod 7), then REPS asks, each told 1.0 outside the timing; the median
ask is printed. knob's Study keeps its kernel between asks as any process does (the
kernel recorded on the last trial); Optuna's GPSampler keeps its own between asks.
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

PEER = r'''
import json, math, statistics, sys, time, warnings
import optuna
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
optuna.logging.set_verbosity(optuna.logging.ERROR)
warnings.simplefilter("ignore")
SPACE = {
    "f0": FloatDistribution(0, 1), "f1": FloatDistribution(0, 1), "f2": FloatDistribution(0, 1),
    "l0": FloatDistribution(1e-5, 1, log=True), "l1": FloatDistribution(1e-5, 1, log=True),
    "l2": FloatDistribution(1e-5, 1, log=True),
    "i0": IntDistribution(0, 100), "i1": IntDistribution(1, 1000, log=True),
    "c0": CategoricalDistribution(["a", "b", "c", "d"]), "c1": CategoricalDistribution(["a", "b", "c", "d"]),
}
n, reps = int(sys.argv[1]), int(sys.argv[2])
random = optuna.samplers.RandomSampler(seed=1)
trials = []
for i in range(n):
    params = {k: random.sample_independent(None, None, k, d) for k, d in SPACE.items()}
    internal = sum(d.to_internal_repr(params[k]) for k, d in SPACE.items())
    trials.append(optuna.trial.create_trial(params=params, distributions=SPACE, value=math.fmod(internal, 7.0)))
study = optuna.create_study(sampler=optuna.samplers.GPSampler(seed=0))
study.add_trials(trials)
times = []
for _ in range(reps):
    start = time.perf_counter()
    trial = study.ask()
    for name, d in SPACE.items():
        trial._suggest(name, d)
    times.append(time.perf_counter() - start)
    study.tell(trial, 1.0)
print(json.dumps({"median_ms": statistics.median(times) * 1e3}))
'''


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("build")
    parser.add_argument("--sizes", default="100,300,1000")
    parser.add_argument("--reps", type=int, default=7)
    args = parser.parse_args()
    from sampler_quality import peer_python
    from tpe_speed import KNOB_SPACE
    build = os.path.abspath(args.build)
    python = peer_python(build)
    print("in process, median ms for one ask (10 params):")
    print(f"{'trials':>8} {'knob gp':>10} {'optuna 5.0 gp':>14} {'ratio':>7}")
    for n in map(int, args.sizes.split(",")):
        knob = subprocess.run([os.path.join(build, "bench", "knob_tpe_bench"), "speed", '{"name": "gp"}', str(n),
                               str(args.reps), json.dumps(KNOB_SPACE)], check=True, capture_output=True, text=True)
        k = json.loads(knob.stdout)["median_ms"]
        peer = subprocess.run([python, "-c", PEER, str(n), str(max(3, args.reps // 2))], check=True,
                              capture_output=True, text=True)
        o = json.loads(peer.stdout.strip().splitlines()[-1])["median_ms"]
        print(f"{n:8d} {k:10.1f} {o:14.1f} {o / k:6.1f}x")


if __name__ == "__main__":
    main()
