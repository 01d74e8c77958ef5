#!/usr/bin/python3
"""knob-train data parallel: 2 ranks on 2 cores against 1 rank with 2 threads.

Usage: data_parallel_bench.py BUILD_DIR [--models mlp,cnn] [--epochs 1]
                              [--train-samples 20000] [--repeats 3] [--batch 128]

The same global batch on both sides: one process with per_device_train_batch_size
B and OMP_NUM_THREADS=2, against two processes (RANK 0 and 1, Gloo over
127.0.0.1, as `knob run` with trainer.processes: 2 starts them) with B/2 each and
one thread each. Same model, data, seed and steps (the two layouts take the same
steps: see the data-parallel test). Each side runs `--repeats` times,
alternating; the median wall time of the whole run (start-up, data loading,
training, evaluation) and the median training samples per second are compared.
Models as bench/train_bench.py: mlp 784-256-128-10; cnn conv 32, conv 64, dense 128.
"""
import argparse
import json
import os
import socket
import statistics
import subprocess
import tempfile
import time

MODELS = {
    "mlp": {"type": "mlp", "hidden": [256, 128], "dropout": 0.0},
    "cnn": {"type": "cnn", "channels": [32, 64], "kernel": 3, "batch_norm": True, "pooling": "max",
            "hidden": [128], "dropout": 0.0},
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(build, folder, model, epochs, samples, batch, ranks):
    config = {"learning_rate": 1e-3, "num_train_epochs": epochs, "per_device_train_batch_size": batch // ranks,
              "per_device_eval_batch_size": 1000, "weight_decay": 0.01, "eval_strategy": "no",
              "save_strategy": "no", "logging_steps": 1000000, "max_train_samples": samples,
              "max_eval_samples": 5000, "model": MODELS[model], "dataset": {"name": "fashion-mnist"}}
    path = os.path.join(folder, "dp.json")
    with open(path, "w") as f:
        json.dump(config, f)
    out = os.path.join(folder, "out-%d" % ranks)
    argv = [os.path.join(build, "knob-train"), "--config", path, "--set", "output_dir=" + out]
    port = free_port()
    threads = "2" if ranks == 1 else "1"
    started = time.perf_counter()
    processes = []
    for rank in range(ranks):
        env = dict(os.environ, OMP_NUM_THREADS=threads, OPENBLAS_NUM_THREADS="1")
        if ranks > 1:
            env.update(RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE=str(ranks), MASTER_ADDR="127.0.0.1",
                       MASTER_PORT=str(port))
        processes.append(subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
    for p in processes:
        _, err = p.communicate()
        assert p.returncode == 0, err.decode()[-2000:]
    wall = time.perf_counter() - started
    with open(os.path.join(out, "metrics.json")) as f:
        metrics = json.load(f)
    return wall, metrics["train_samples_per_second"], metrics["test_accuracy"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("build")
    parser.add_argument("--models", default="mlp,cnn")
    parser.add_argument("--epochs", type=float, default=1)
    parser.add_argument("--train-samples", type=int, default=20000)
    parser.add_argument("--batch", type=int, default=128, help="the global batch")
    parser.add_argument("--repeats", type=int, default=3)
    a = parser.parse_args()
    print(f"{a.train_samples} Fashion-MNIST images x {a.epochs:g} epoch(s), global batch {a.batch}, "
          f"{os.cpu_count()} cores, median of {a.repeats}")
    with tempfile.TemporaryDirectory() as folder:
        for model in a.models.split(","):
            one, two = [], []
            for _ in range(a.repeats):
                one.append(run(a.build, folder, model, a.epochs, a.train_samples, a.batch, 1))
                two.append(run(a.build, folder, model, a.epochs, a.train_samples, a.batch, 2))
            wall1, wall2 = statistics.median(r[0] for r in one), statistics.median(r[0] for r in two)
            rate1, rate2 = statistics.median(r[1] for r in one), statistics.median(r[1] for r in two)
            print(f"{model}:")
            print(f"  1 rank x 2 threads:  {wall1:6.1f} s wall, {rate1:7.0f} samples/s, "
                  f"test accuracy {one[0][2]:.4f}")
            print(f"  2 ranks x 1 thread:  {wall2:6.1f} s wall, {rate2:7.0f} samples/s, "
                  f"test accuracy {two[0][2]:.4f}")
            print(f"  ratio 2 ranks / 1 rank: wall time {wall2 / wall1:.2f}, samples/s {rate2 / rate1:.2f}")


if __name__ == "__main__":
    main()
