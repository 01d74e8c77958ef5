#!/usr/bin/env python3
"""Soak test of `knob run`: a study in which a random 20% of trainers misbehave in
every way the hostile-trainer tests know (crashes, hangs that ignore SIGTERM, NaN,
values out of range, 100,000-deep and 300 MB messages, floods, refused reports,
daemons that escape their session), 4 slots, SQLite.

Checks: the budget of finished trials exactly, no trial number twice, none left
RUNNING or lost, no process of the study left, the daemons gone; reports knob's
memory over the run (flat: the last quarter's median RSS against the first's) and
the orchestration rate (trials a second).

  tests/soak/soak.py build/knob build/knob_scripted_trainer [--trials 10000]
CI runs it with --trials 300; the README has a full-size run.
"""
import argparse
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time


def rss_kib(pid):
    """knob's resident anonymous memory (its heap; file pages such as SQLite's
    memory-mapped database are left out, they grow with the file), in KiB."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("RssAnon:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def processes_with(entry):
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/environ", "rb") as f:
                if entry.encode() in f.read().split(b"\0"):
                    found.append(int(name))
        except OSError:
            pass
    return found


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("knob")
    ap.add_argument("trainer")
    ap.add_argument("--trials", type=int, default=10000)
    ap.add_argument("--slots", type=int, default=4)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="knob-soak-")
    study = f"soak-{os.getpid()}"
    with open(os.path.join(work, "study.yaml"), "w") as f:
        f.write(f"study: {study}\nstorage: soak.db\nn_trials: {args.trials}\nmax_failures: 1000000\n"
                "sampler: {name: random, seed: 7}\npruner: nop\n"
                "space: {x: {type: float, low: 0, high: 1}}\n"
                f"trainer:\n  command: [{os.path.abspath(args.trainer)}, --mode, chaos]\n  timeout: 1s\n  stop_grace: 0.2s\n"
                f"resources: {{gpus: none, cpu_slots: {args.slots}}}\n")
    started = time.monotonic()
    with open(os.path.join(work, "knob.err"), "w") as err:
        knob = subprocess.Popen([os.path.abspath(args.knob), "run", os.path.join(work, "study.yaml")],
                                stdout=subprocess.DEVNULL, stderr=err)
        samples = []
        while knob.poll() is None:
            rss = rss_kib(knob.pid)
            if rss:
                samples.append(rss)
            time.sleep(0.25)
    wall = time.monotonic() - started
    problems = []
    if knob.returncode != 0:
        problems.append(f"knob run exited {knob.returncode}: " + open(os.path.join(work, "knob.err")).read()[-2000:])
    db = sqlite3.connect(os.path.join(work, "soak.db"))
    rows = db.execute("SELECT t.number, t.state FROM trials t JOIN studies s ON s.study_id = t.study_id "
                      "WHERE s.study_name = ?", (study,)).fetchall()
    numbers = [n for n, _ in rows]
    states = {}
    for _, state in rows:
        states[state] = states.get(state, 0) + 1
    if len(set(numbers)) != len(numbers) or sorted(numbers) != list(range(len(numbers))):
        problems.append("trial numbers are not 0..N-1 each once")
    if states.get("COMPLETE", 0) + states.get("PRUNED", 0) != args.trials:
        problems.append(f"finished trials {states} do not match the budget {args.trials}")
    if states.get("RUNNING", 0):
        problems.append(f"{states['RUNNING']} trials left RUNNING")
    left = processes_with(f"KNOB_STUDY={study}")
    if left:
        problems.append(f"processes left: {left}")
    daemons = []
    for root, _, files in os.walk(os.path.join(work, "knob-runs")):
        if "daemon.pid" in files:
            daemons.append(int(open(os.path.join(root, "daemon.pid")).read()))
    escaped = [p for p in daemons if alive(p)]
    if escaped:
        problems.append(f"daemons still running: {escaped}")
    reasons = dict(db.execute(
        "SELECT a.value_json, COUNT(*) FROM trial_system_attributes a JOIN trials t ON t.trial_id = a.trial_id "
        "WHERE a.key = 'knob:fail_kind' GROUP BY a.value_json").fetchall())
    quarter = max(1, len(samples) // 4)
    first = statistics.median(samples[:quarter]) if samples else 0
    last = statistics.median(samples[-quarter:]) if samples else 0
    print(f"soak: {len(rows)} trials ({states}) in {wall:.1f}s = {len(rows) / wall:.0f} trials/s, "
          f"{args.slots} slots; failures by kind {reasons}; {len(daemons)} daemons, all ended")
    print(f"soak: knob anonymous RSS first quarter {first / 1024:.1f} MiB, last quarter {last / 1024:.1f} MiB, "
          f"peak {max(samples, default=0) / 1024:.1f} MiB ({len(samples)} samples)")
    # ASan's quarantine holds freed memory: under it the figure is reported, not judged.
    if first and last > 1.5 * first + 8 * 1024 and "ASAN_OPTIONS" not in os.environ:
        problems.append("knob's memory grew over the run")
    for p in problems:
        print("soak: FAILED: " + p)
    if not problems:
        subprocess.run(["rm", "-rf", work])
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
