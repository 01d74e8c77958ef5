#!/usr/bin/python3
"""Distributed trials under a real `knob run`: a plain PyTorch DDP script
(examples/python/ddp_fashion_mnist.py, gloo on the CPU, Debian's python3-torch)
with 2 processes per trial in 2 slots.

Usage: distributed_test.py PATH/TO/knob
Checks: every rank of a trial sees the same params, its own rank and the
trial's port; trials running at once never share a port; both ranks get the
same prune decisions; a SIGKILL of one rank (held mid-trial) ends that trial as
FAIL with rank 1's reason within the grace, with no process of it left; the
study reaches its budget.
"""
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

KNOB = os.path.abspath(sys.argv[1])
EXAMPLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples", "python",
                       "ddp_fashion_mnist.py")
HELD = 2  # rank 1 of this trial waits to be killed
GRACE = 3.0


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is gone for this purpose
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def main():
    folder = tempfile.mkdtemp(prefix="knob-ddp-")
    shutil.copy(EXAMPLE, folder)
    with open(os.path.join(folder, "study.yaml"), "w") as f:
        f.write("""study: ddp
storage: knob.db
direction: minimize
n_trials: 6
max_failures: 3
sampler: {name: random, seed: 4}
pruner: {name: median, n_startup_trials: 1}
space:
  lr: {type: float, low: 1.0e-4, high: 3.0e-1, log: true}
  hidden: {type: categorical, choices: [32, 64]}
  epochs: {type: int, low: 2, high: 3}
trainer:
  command: [/usr/bin/python3, ddp_fashion_mnist.py]
  processes: 2
  stop_grace: %gs
  timeout: 4m
  env: {DDP_RECORD: "1", DDP_HOLD_TRIAL: "%d", DDP_TRAIN_SAMPLES: "3000"}
resources: {gpus: none, cpu_slots: 2}
""" % (GRACE, HELD))
    knob = subprocess.Popen([KNOB, "run", os.path.join(folder, "study.yaml")], stderr=subprocess.PIPE, text=True)
    # Wait for the held rank to say it is there, then kill it.
    held = os.path.join(folder, "knob-runs", "ddp", "trial-%05d" % HELD, "rank1.json")
    deadline = time.time() + 240
    while not os.path.exists(held) and knob.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    assert os.path.exists(held), "trial %d's rank 1 never started" % HELD
    held_seen = None
    while held_seen is None:
        try:
            with open(held) as f:
                held_seen = json.load(f)
        except ValueError:  # being written
            time.sleep(0.01)
    rank0_file = os.path.join(os.path.dirname(held), "rank0.json")
    while not os.path.exists(rank0_file):
        time.sleep(0.01)
    while True:
        try:
            with open(rank0_file) as f:
                rank0_pid = json.load(f)["pid"]
            break
        except ValueError:
            time.sleep(0.01)
    os.kill(held_seen["pid"], signal.SIGKILL)
    killed_at = time.time()
    # Rank 0 of that trial is stopped within the grace (SIGTERM, then SIGKILL).
    while alive(rank0_pid) and time.time() < killed_at + GRACE + 10:
        time.sleep(0.01)
    stopped_after = time.time() - killed_at
    assert stopped_after < GRACE + 2, "rank 0 of the killed trial ran on for %.1f s" % stopped_after
    _, err = knob.communicate(timeout=600)
    assert knob.returncode == 0, "knob run exited %d: %s" % (knob.returncode, err[-3000:])

    db = sqlite3.connect(os.path.join(folder, "knob.db"))
    rows = db.execute("SELECT t.number, t.state, t.trial_id, "
                      "(SELECT value_json FROM trial_system_attributes a WHERE a.trial_id = t.trial_id "
                      " AND a.key = 'knob:fail_reason') FROM trials t ORDER BY number").fetchall()
    states = {number: state for number, state, _, _ in rows}
    done = sum(1 for s in states.values() if s in ("COMPLETE", "PRUNED"))
    assert done == 6, states
    assert states[HELD] == "FAIL", states
    reason = json.loads([r for r in rows if r[0] == HELD][0][3])
    assert reason.startswith("rank 1: killed by signal SIGKILL"), reason
    assert "trainer.rank1.log" in reason, reason

    spans = []
    for number, state, trial_id, _ in rows:
        stored = {name for (name,) in db.execute("SELECT param_name FROM trial_params WHERE trial_id = ?",
                                                 (trial_id,))}
        trial_dir = os.path.join(folder, "knob-runs", "ddp", "trial-%05d" % number)
        seen = []
        for rank in (0, 1):
            with open(os.path.join(trial_dir, "rank%d.json" % rank)) as f:
                seen.append(json.load(f))
        for rank, s in enumerate(seen):
            assert s["rank"] == rank and s["local_rank"] == rank and s["world_size"] == 2, s
            assert s["trial"] == number, s
            assert s["threads"] == 1, s  # 2 slots x 2 processes share this machine's cores
        assert seen[0]["params"] == seen[1]["params"], seen
        assert seen[0]["port"] == seen[1]["port"], seen
        assert set(seen[0]["params"]) == stored == {"lr", "hidden", "epochs"}, (seen[0]["params"], stored)
        if number != HELD:
            # The same decision at every step, on both ranks; pruned trials stopped together.
            assert seen[0]["decisions"] == seen[1]["decisions"], seen
            assert any(d[1] for d in seen[0]["decisions"]) == (state == "PRUNED"), (state, seen[0]["decisions"])
            spans.append((seen[0]["start"], seen[0]["end"], seen[0]["port"]))
        else:
            # Within the grace: rank 0 is gone too (it was stopped, or its collective broke).
            completed = db.execute("SELECT datetime_complete FROM trials WHERE trial_id = ?", (trial_id,)).fetchone()
            assert completed[0], completed
        for s in seen:
            assert not alive(s["pid"]), "process %d of trial %d is still running" % (s["pid"], number)
    pruned = sum(1 for s in states.values() if s == "PRUNED")
    overlapping = 0
    for i in range(len(spans)):
        for j in range(i + 1, len(spans)):
            if spans[i][0] < spans[j][1] and spans[j][0] < spans[i][1]:
                overlapping += 1
                assert spans[i][2] != spans[j][2], "trials running at once share port %s" % spans[i][2]
    assert overlapping > 0, spans
    print("ok   6 trials of 2 ranks: same params, own ranks, %d pruned together, %d overlapping pairs on "
          "distinct ports; rank 1 of trial %d SIGKILLed: FAIL (%s), its rank 0 gone %.2f s later"
          % (pruned, overlapping, HELD, reason[:40], stopped_after))
    shutil.rmtree(folder)


if __name__ == "__main__":
    main()
