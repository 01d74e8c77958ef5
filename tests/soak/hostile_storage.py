#!/usr/bin/python3
"""A study whose storage another program wrote wrongly: every command answers, none crashes.

Usage: hostile_storage.py PATH/TO/knob PATH/TO/knob_scripted_trainer [--quick]

Runs a short study (random sampler, one float and one categorical parameter that
picks the trainer's mode: some trials COMPLETE, the others FAIL), then for each case copies its SQLite file, writes one
hostile value where knob wrote JSON (every trial and study system attribute knob
writes or reads, a parameter's distribution_json, a categorical's stored index),
marks a trial RUNNING on a dead worker, and runs status, trials, best-trial,
studies, importance, report -o, run (which must recover that trial and finish) and
ask. Each must exit 0, 1 or 2 with its messages on one line each: never a signal,
an abort or an "internal error" (an exception reaching main). --quick (ctest) takes
four of the hostile values; the whole sweep is about 2,000 commands.
"""
import itertools
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile

KNOB, TRAINER = (os.path.abspath(a) for a in sys.argv[1:3])
QUICK = "--quick" in sys.argv[3:]

HOSTILE = ['"x"', '7', '-1', '[1]', 'null', '1e308', 'true', '18446744073709551615',
           '{"host": 5, "pid": "a", "slots": "s", "index": "i", "gpus": 5, "processes": "p", "name": 5,'
           ' "document": 5, "options": 5, "boot": [], "start": -4}',
           '{"document": {"n_trials": "x", "direction": 5}}', '{"name": {"a": 1}, "options": []}',
           '{"dir": 5, "document": []}', '[' * 60 + ']' * 60, 'not json', '']
if QUICK:
    HOSTILE = [HOSTILE[0], HOSTILE[3], HOSTILE[8], 'not json']

STUDY = """study: s
storage: s.db
direction: minimize
n_trials: {n}
sampler: {{name: random, seed: 3}}
space: {{x: {{type: float, low: 0, high: 1}}, c: {{type: categorical, choices: [a, b, value]}}}}
trainer:
  command: [{trainer}, --mode, "{{c}}", --value, "{{x}}"]
  timeout: 5s
resources: {{gpus: none, cpu_slots: 1}}
max_failures: 20
heartbeat: {{interval: 0.2s, stale_after: 1s}}
"""


def make_study(folder):
    with open(os.path.join(folder, "study.yaml"), "w") as f:
        f.write(STUDY.format(n=6, trainer=TRAINER))
    # "a" and "b" are not modes: those trials FAIL (the trainer exits 64); "value" ones complete.
    subprocess.run([KNOB, "run", os.path.join(folder, "study.yaml")], capture_output=True, check=False, timeout=300)
    db = sqlite3.connect(os.path.join(folder, "s.db"))
    assert db.execute("SELECT count(*) FROM trials WHERE state = 'COMPLETE'").fetchone()[0] >= 1
    return db


def cases(db):
    trial_keys = sorted({k for (k,) in db.execute("SELECT DISTINCT key FROM trial_system_attributes")}
                        | {"retry_history", "failed_trial", "fixed_params", "knob:relative_params"})
    study_keys = sorted(k for (k,) in db.execute("SELECT DISTINCT key FROM study_system_attributes"))
    for key, value in itertools.product(trial_keys, HOSTILE):
        yield "trial", key, value
    for key, value in itertools.product(study_keys, HOSTILE):
        yield "study", key, value
    for value in HOSTILE:
        yield "distribution", "x", value
    for value in ["1e308", "-1e308", "99", "-5", "0.5"]:
        yield "index", "c", value


def corrupt(path, where, key, value):
    db = sqlite3.connect(path)
    if where == "trial":
        db.execute("DELETE FROM trial_system_attributes WHERE key = ? AND trial_id IN (1, 3)", (key,))
        db.execute("INSERT INTO trial_system_attributes (trial_id, key, value_json) VALUES (1, ?, ?), (3, ?, ?)",
                   (key, value, key, value))
        db.execute("UPDATE trials SET state = 'FAIL' WHERE trial_id = 3")
    elif where == "study":
        db.execute("UPDATE study_system_attributes SET value_json = ? WHERE key = ?", (value, key))
    elif where == "distribution":
        db.execute("UPDATE trial_params SET distribution_json = ? WHERE param_name = ? AND trial_id IN (1, 2)",
                   (value, key))
    else:
        db.execute("UPDATE trial_params SET param_value = ? WHERE param_name = ? AND trial_id IN (1, 2)",
                   (float(value), key))
    # Trial 0 RUNNING, its knob run dead (the worker attribute as knob wrote it, unless a case changed it;
    # then its heartbeat, stale after 1 s, frees it).
    db.execute("UPDATE trials SET state = 'RUNNING', datetime_complete = NULL WHERE trial_id = 1")
    db.commit()
    db.close()


def main():
    base = tempfile.mkdtemp(prefix="knob-hostile-storage-")
    db = make_study(base)
    commands = [["status", "--storage", "s.db", "--study", "s"], ["status", "study.yaml"],
                ["trials", "study.yaml", "--format", "json"], ["best-trial", "study.yaml"],
                ["studies", "--storage", "s.db"], ["importance", "--storage", "s.db", "--study", "s"],
                ["report", "--storage", "s.db", "--study", "s", "-o", "r.html"],
                ["run", "study.yaml", "--n-trials", "8"], ["ask", "--storage", "s.db", "--study", "s"]]
    bad, count = [], 0
    for where, key, value in list(cases(db)):
        folder = os.path.join(base, "case")
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder)
        shutil.copy(os.path.join(base, "s.db"), folder)
        shutil.copy(os.path.join(base, "study.yaml"), folder)
        corrupt(os.path.join(folder, "s.db"), where, key, value)
        for command in commands:
            count += 1
            r = subprocess.run([KNOB] + command, cwd=folder, capture_output=True, text=True, timeout=120)
            if r.returncode not in (0, 1, 2) or "internal error" in r.stderr:
                bad.append("%s %s = %s: knob %s exited %d: %s" % (where, key, value[:40], command[0], r.returncode,
                                                                  r.stderr.strip().splitlines()[-1:]))
    shutil.rmtree(base, ignore_errors=True)
    for line in bad:
        print("FAIL", line)
    print("%d commands on %d corrupted studies: %d failed" % (count, count // len(commands), len(bad)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
