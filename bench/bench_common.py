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


def load_objectives(build):
    """The shared objectives library (bench/objectives) through ctypes, and every function's info."""
    import ctypes
    import os
    lib = ctypes.CDLL(os.path.join(build, "bench", "libknob_bench_objectives.so"))
    lib.knob_objective_info.restype = ctypes.c_char_p
    lib.knob_objective_eval.restype = ctypes.c_double
    lib.knob_objective_eval.argtypes = [ctypes.c_int, ctypes.POINTER(ctypes.c_double), ctypes.c_int, ctypes.c_long]
    infos = [json.loads(lib.knob_objective_info(i)) for i in range(lib.knob_objective_count())]
    return lib, infos


def suggest(trial, name, spec):
    """Optuna's suggestion for one parameter of knob's space form, as the internal value knob uses."""
    if spec["type"] == "categorical":
        value = trial.suggest_categorical(name, spec["choices"])
        return float(spec["choices"].index(value))
    if spec["type"] == "int":
        return float(trial.suggest_int(name, spec["low"], spec["high"], step=spec.get("step", 1),
                                       log=spec.get("log", False)))
    return trial.suggest_float(name, spec["low"], spec["high"], step=spec.get("step"), log=spec.get("log", False))
