#!/usr/bin/python3
"""knob-train against the same training loop written in Python with PyTorch.

Usage: train_bench.py BUILD_DIR [--epochs 2] [--threads 1] [--train-samples 20000]
Both sides train the same MLP (784-256-128-10, ReLU, no dropout) on the same
Fashion-MNIST images (Debian's dataset-fashion-mnist: the first N of the same
seeded split is not reproduced in Python, so both use the first N training images
and evaluate on the first 5,000 test images), with AdamW (HF's weight-decay
groups), lr 1e-3, linear schedule, batch 64, max_grad_norm 1.0, the same number
of threads, and the same LibTorch (Debian's libtorch 1.13 and python3-torch 1.13).
Prints samples per second of the training loop of each, the ratio, and the
accuracies.
"""
import argparse
import gzip
import json
import math
import os
import subprocess
import tempfile
import time

import numpy as np
import torch

DATA = "/usr/share/datasets/fashion-mnist"


def load(split, limit):
    with gzip.open(f"{DATA}/{split}-images-idx3-ubyte.gz") as f:
        images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 784)[:limit]
    with gzip.open(f"{DATA}/{split}-labels-idx1-ubyte.gz") as f:
        labels = np.frombuffer(f.read(), np.uint8, offset=8)[:limit]
    return images, labels.astype(np.int64)


def python_loop(n_train, epochs, threads):
    torch.set_num_threads(threads)
    torch.manual_seed(42)
    x, y = load("train", n_train)
    tx, ty = load("t10k", 5000)
    mean, std = (x / 255.0).mean(), (x / 255.0).std()
    x = torch.tensor((x / 255.0 - mean) / std, dtype=torch.float32)
    tx = torch.tensor((tx / 255.0 - mean) / std, dtype=torch.float32)
    y, ty = torch.tensor(y), torch.tensor(ty)
    net = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 128),
                              torch.nn.ReLU(), torch.nn.Linear(128, 10))
    decay = [p for p in net.parameters() if p.dim() >= 2]
    no_decay = [p for p in net.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=1e-3)
    batch = 64
    steps_per_epoch = math.ceil(len(x) / batch)
    total = steps_per_epoch * epochs
    step = 0
    start = time.perf_counter()
    for _ in range(epochs):
        order = torch.randperm(len(x))
        for b in range(steps_per_epoch):
            idx = order[b * batch:(b + 1) * batch]
            loss = torch.nn.functional.cross_entropy(net(x[idx]), y[idx])
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
            for g in opt.param_groups:
                g["lr"] = 1e-3 * max(0.0, (total - step) / max(1, total))
            opt.step()
            opt.zero_grad()
            step += 1
    seconds = time.perf_counter() - start
    with torch.no_grad():
        accuracy = (net(tx).argmax(1) == ty).float().mean().item()
    return len(x) * epochs / seconds, accuracy


def knob_train(build, n_train, epochs, threads):
    config = {"learning_rate": 1e-3, "num_train_epochs": epochs, "per_device_train_batch_size": 64,
              "per_device_eval_batch_size": 1000, "weight_decay": 0.01, "max_grad_norm": 1.0,
              "lr_scheduler_type": "linear", "eval_strategy": "no", "logging_steps": 1000000,
              "max_train_samples": n_train, "max_eval_samples": 5000,
              "model": {"type": "mlp", "hidden": [256, 128], "dropout": 0.0},
              "dataset": {"name": "fashion-mnist", "validation_size": 1000}}
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "bench.json")
        with open(path, "w") as f:
            json.dump(config, f)
        env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS="1")
        subprocess.run([os.path.join(build, "knob-train"), "--config", path, "--set", f"output_dir={folder}/out"],
                       check=True, capture_output=True, env=env)
        with open(os.path.join(folder, "out", "metrics.json")) as f:
            metrics = json.load(f)
    return metrics["train_samples_per_second"], metrics["test_accuracy"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("build")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--train-samples", type=int, default=20000)
    a = parser.parse_args()
    os.environ["OPENBLAS_NUM_THREADS"] = "1"
    knob_rate, knob_acc = knob_train(a.build, a.train_samples, a.epochs, a.threads)
    py_rate, py_acc = python_loop(a.train_samples, a.epochs, a.threads)
    print(f"MLP 784-256-128-10, AdamW, batch 64, {a.train_samples} images x {a.epochs} epochs, "
          f"{a.threads} thread(s), LibTorch 1.13 both sides")
    print(f"  knob-train:         {knob_rate:9.0f} samples/s, test accuracy {knob_acc:.4f}")
    print(f"  Python PyTorch loop:{py_rate:9.0f} samples/s, test accuracy {py_acc:.4f}")
    print(f"  ratio knob-train/Python: {knob_rate / py_rate:.2f}")


if __name__ == "__main__":
    main()
