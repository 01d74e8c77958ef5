"""Helpers shared by the benchmarks under bench/."""
import json
import statistics
import subprocess
import time


def time_cli_pairs(ask, tell, pairs):
    """Wall times (s) of `pairs` ask+tell command pairs; `tell(number)` builds the tell argv."""
    times = []
    for _ in range(pairs):
        start = time.perf_counter()
        out = subprocess.run(ask, capture_output=True, text=True, check=True).stdout
        subprocess.run(tell(json.loads(out)["number"]), capture_output=True, text=True, check=True)
        times.append(time.perf_counter() - start)
    return times


def median_ms(times):
    return statistics.median(times) * 1e3
