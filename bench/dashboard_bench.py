#!/usr/bin/python3
"""The dashboard on a study of 10,000 trials, beside optuna-dashboard.

Usage: bench/dashboard_bench.py BUILD_DIR [--trials 10000] [--seconds 20]
  1. Makes (once, cached under BUILD_DIR/bench-dashboard/) a study of N trials
     with 5 intermediate values each, by `knob run` of a knob.serve objective.
  2. Times knob dashboard's answers: the study page's whole data (cold, and the
     median of 5) and an incremental poll (median of 20).
  3. Runs 8 processes of `knob ask`/`knob tell` on a copy of that SQLite file
     for S seconds each: alone, then with the dashboard open in headless Chromium
     (polling as the page does) plus a client polling every 0.5 s, then alone
     again: trials per second (watched against the mean of the two alone runs),
     and every "database is locked" they printed.
  4. Times optuna-dashboard (PyPI, in BUILD_DIR/dashboard-peer) to the same
     first full view: server start to the study's trials answered, beside knob's
     (and knob's page drawn in Chromium).
"""
import argparse
import http.client
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "python"))
import browser  # noqa: E402

OBJECTIVE = """import knob
def objective(trial):
    x = trial.suggest_float("x", -5, 5)
    y = trial.suggest_int("y", 1, 64, log=True)
    z = trial.suggest_categorical("z", ["a", "b", "c"])
    w = trial.suggest_float("w", 1e-4, 1.0, log=True)
    v = None
    for step in range(5):
        v = x * x + y / 10 + (z == "b") + w + 1.0 / (step + 1)
        trial.report(v, step)
    return v
knob.serve(objective)
"""


def make_study(knob, folder, trials):
    db = os.path.join(folder, "s.db")
    done = os.path.join(folder, f"done-{trials}")
    if os.path.exists(done):
        return db
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    with open(os.path.join(folder, "objective.py"), "w") as f:
        f.write(OBJECTIVE)
    with open(os.path.join(folder, "study.yaml"), "w") as f:
        f.write(f"study: big\nstorage: s.db\ndirection: minimize\nn_trials: {trials}\n"
                "sampler: {name: random, seed: 1}\npruner: {name: nop}\ntrainer: {command: [python3, objective.py]}\n"
                "resources: {gpus: none, cpu_slots: 2}\n")
    start = time.perf_counter()
    subprocess.run([knob, "run", os.path.join(folder, "study.yaml")], check=True, capture_output=True)
    print(f"made a study of {trials} trials in {time.perf_counter() - start:.0f} s")
    open(done, "w").close()
    return db


class Server:
    """A dashboard process (knob's or optuna-dashboard) on a free port."""

    def __init__(self, argv, port=None, url_from_output=False):
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if url_from_output:
            line = self.proc.stdout.readline()
            self.port = int(re.search(r":(\d+)/", line).group(1))
        else:
            self.port = port
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()

    def get(self, path, timeout=120):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        connection.request("GET", path)
        response = connection.getresponse()
        body = response.read()
        connection.close()
        return response.status, body

    def wait_answering(self, path, deadline_s=120):
        end = time.monotonic() + deadline_s
        while True:
            try:
                status, body = self.get(path)
                if status == 200:
                    return body
            except OSError:
                pass
            if time.monotonic() > end:
                raise TimeoutError(path)
            time.sleep(0.02)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def timed(f):
    start = time.perf_counter()
    result = f()
    return time.perf_counter() - start, result


def ask_tell_worker(knob, db, stop_at, counts, index, locked):
    space = '{"x": {"type": "float", "low": -5, "high": 5}}'
    n = 0
    while time.monotonic() < stop_at:
        a = subprocess.run([knob, "ask", "--storage", db, "--study", "big", "--space", space],
                           capture_output=True, text=True)
        if "locked" in a.stderr:
            locked.append(a.stderr.strip())
        if a.returncode != 0:
            continue
        number = json.loads(a.stdout)["number"]
        t = subprocess.run([knob, "tell", "--storage", db, "--study", "big", "--trial", str(number), "--value", "1"],
                           capture_output=True, text=True)
        if "locked" in t.stderr:
            locked.append(t.stderr.strip())
        if t.returncode == 0:
            n += 1
    counts[index] = n


def throughput(knob, db, seconds, processes=8):
    counts, locked = [0] * processes, []
    stop_at = time.monotonic() + seconds
    threads = [threading.Thread(target=ask_tell_worker, args=(knob, db, stop_at, counts, i, locked))
               for i in range(processes)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts) / seconds, locked


def cpu_seconds(pid):
    """User + system CPU time a process has used, from /proc."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("build")
    parser.add_argument("--trials", type=int, default=10000)
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()
    build = os.path.abspath(args.build)
    knob = os.path.join(build, "knob")
    db = make_study(knob, os.path.join(build, "bench-dashboard"), args.trials)

    # 2. knob dashboard's answers.
    server = Server([knob, "dashboard", "--storage", db, "--port", "0"], url_from_output=True)
    cold, body = timed(lambda: server.get("/api/studies/1"))
    data = json.loads(body[1])
    full = statistics.median(timed(lambda: server.get("/api/studies/1"))[0] for _ in range(5))
    cursor = data["cursor"]
    poll_path = f"/api/studies/1?after={cursor['after']}&open={','.join(map(str, cursor['open']))}"
    poll = statistics.median(timed(lambda: server.get(poll_path))[0] for _ in range(20))
    print(f"study of {len(data['trials'])} trials: whole data {len(body[1]) / 1e6:.1f} MB in {cold * 1e3:.0f} ms cold, "
          f"{full * 1e3:.0f} ms median (target < 1000 ms); incremental poll {poll * 1e3:.1f} ms median (target < 50 ms)")
    b = browser.Browser()
    start = time.perf_counter()
    b.open(f"http://127.0.0.1:{server.port}/#/study/1")
    b.wait_for("document.body.dataset.page === 'study' && "
               "document.querySelectorAll('[data-view=history] circle.pt').length > 0", timeout=300)
    knob_page = time.perf_counter() - start
    server.stop()

    # 3. ask/tell throughput of 8 processes, without and with the dashboard watching.
    work = tempfile.mkdtemp(prefix="knob-dashboard-bench-")
    shutil.copy(db, os.path.join(work, "s.db"))
    copy = os.path.join(work, "s.db")
    alone_before, locked_alone = throughput(knob, copy, args.seconds)
    server = Server([knob, "dashboard", "--storage", copy, "--port", "0"], url_from_output=True)
    b.open(f"http://127.0.0.1:{server.port}/#/study/1")
    b.wait_for("document.body.dataset.page === 'study'", timeout=300)
    polling = [True]

    def poller():  # a second client, polling 4x as often as the page
        body = json.loads(server.get("/api/studies/1")[1])
        after = body["cursor"]["after"]
        while polling[0]:
            answer = json.loads(server.get(f"/api/studies/1?after={after}&open=")[1])
            for t in answer["trials"]:
                after = max(after, t["id"])
            time.sleep(0.5)

    thread = threading.Thread(target=poller, daemon=True)
    thread.start()
    watched, locked_watched = throughput(knob, copy, args.seconds)
    polling[0] = False
    thread.join()
    server_cpu = cpu_seconds(server.proc.pid)
    server.stop()
    b.close()
    # Alone again, after: the mean of before and after cancels the drift of a growing study.
    alone_after, locked_after = throughput(knob, copy, args.seconds)
    locked_alone += locked_after
    alone = (alone_before + alone_after) / 2
    shutil.rmtree(work, ignore_errors=True)
    loss = 1 - watched / alone
    print(f"8 ask/tell processes: {alone:.1f} trials/s alone (mean of {alone_before:.1f} before and {alone_after:.1f} "
          f"after), {watched:.1f} with the dashboard open and polling ({loss * 100:+.1f}% lost; target < 10%); "
          f"'database is locked': {len(locked_alone)} alone, {len(locked_watched)} watched; the dashboard server "
          f"used {server_cpu:.2f} s of CPU in those {args.seconds:.0f} s")

    # 4. optuna-dashboard (PyPI) on the same file: server start to the study's trials answered.
    peer = os.path.join(build, "dashboard-peer", "bin", "optuna-dashboard")
    if not os.path.exists(peer):
        subprocess.run([sys.executable, "-m", "venv", os.path.join(build, "dashboard-peer")], check=True)
        subprocess.run([os.path.join(build, "dashboard-peer", "bin", "pip"), "install", "-q",
                        "--disable-pip-version-check", "optuna==5.0.0", "optuna-dashboard"], check=True)
    start = time.perf_counter()
    server = Server([knob, "dashboard", "--storage", db, "--port", "0"], url_from_output=True)
    server.wait_answering("/api/studies/1")
    knob_first = time.perf_counter() - start
    server.stop()
    port = free_port()
    start = time.perf_counter()
    server = Server([peer, "--port", str(port), "--host", "127.0.0.1", "sqlite:///" + db], port=port)
    server.wait_answering("/api/studies", deadline_s=600)
    server.wait_answering("/api/studies/1", deadline_s=600)  # its study page's data (Optuna's study id)
    peer_first = time.perf_counter() - start
    server.stop()
    print(f"first full view of {args.trials} trials (server start to the study's trials answered): "
          f"knob {knob_first:.2f} s, optuna-dashboard {peer_first:.2f} s "
          f"(ratio {knob_first / peer_first:.3f}); knob's page drawn in Chromium in {knob_page:.2f} s")


if __name__ == "__main__":
    main()
