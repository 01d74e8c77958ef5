#!/usr/bin/python3
"""Trial creation + tell with concurrent workers: PostgreSQL on loopback beside SQLite.

Usage: storage_bench.py BUILD_DIR [--workers 8] [--trials 2000]
Starts a throw-away PostgreSQL server (scripts/pg_test_server.sh) unless
$KNOB_TEST_POSTGRES_URL names one, then runs build/knob_storage_bench on a fresh
SQLite file and a fresh PostgreSQL database in the same run: WORKERS processes each
ask and tell TRIALS/WORKERS trials (random sampler, 5 params), and prints trials
per second of each and the ratio.
"""
import argparse
import json
import os
import subprocess
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(binary, url, workers, per_worker):
    out = subprocess.run([binary, url, str(workers), str(per_worker)], capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"{binary} {url} failed: {out.stderr}{out.stdout}")
    return json.loads(out.stdout)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("build")
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--trials", type=int, default=2000)
    a = parser.parse_args()
    binary = os.path.abspath(os.path.join(a.build, "bench", "knob_storage_bench"))
    per_worker = a.trials // a.workers
    base = os.environ.get("KNOB_TEST_POSTGRES_URL")
    folder = tempfile.mkdtemp(prefix="knob-storage-bench-")
    pg_folder = tempfile.mkdtemp(prefix="knob-pg-bench-")  # the server's own (chowned to postgres as root)
    script = os.path.join(ROOT, "scripts", "pg_test_server.sh")
    try:
        if not base:
            base = subprocess.run([script, "start", pg_folder, "54329"], capture_output=True, text=True,
                                  check=True).stdout.strip()
        database = f"knob_storage_bench_{os.getpid()}"
        admin = ["psql", base, "-qc"]
        os.environ["PGOPTIONS"] = "-c client_min_messages=warning"
        subprocess.run(admin + [f"DROP DATABASE IF EXISTS {database}"], check=True)
        subprocess.run(admin + [f"CREATE DATABASE {database}"], check=True)
        pg = run(binary, base.rsplit("/", 1)[0] + "/" + database, a.workers, per_worker)
        subprocess.run(admin + [f"DROP DATABASE {database} WITH (FORCE)"], check=True)
        lite = run(binary, os.path.join(folder, "bench.db"), a.workers, per_worker)
    finally:
        if not os.environ.get("KNOB_TEST_POSTGRES_URL"):
            subprocess.run([script, "stop", pg_folder], capture_output=True)
        subprocess.run(["rm", "-rf", folder])
    print(f"ask + tell, {a.workers} concurrent workers, {per_worker * a.workers} trials, random sampler, 5 params")
    print(f"  SQLite (WAL, one file):     {lite['trials_per_s']:8.1f} trials/s, numbers unique: {lite['unique']}")
    print(f"  PostgreSQL 15 (loopback):   {pg['trials_per_s']:8.1f} trials/s, numbers unique: {pg['unique']}")
    print(f"  ratio PostgreSQL/SQLite: {pg['trials_per_s'] / lite['trials_per_s']:.2f}")


if __name__ == "__main__":
    main()
