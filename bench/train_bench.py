#!/usr/bin/python3
"""knob-train against the same training loop written in Python with PyTorch.

Usage: train_bench.py BUILD_DIR [--models mlp,cnn] [--epochs 2] [--threads 1]
                      [--train-samples 20000] [--repeats 5]

Both sides train the same model on the same Fashion-MNIST images (Debian's
dataset-fashion-mnist; the first N training images, written to a temporary IDX
folder that knob-train reads with validation_size 1, so it trains on N-1 of them)
with AdamW (HF's weight-decay groups), lr 1e-3, a linear schedule, max_grad_norm
1.0, the same batch size, the same number of threads, the same BLAS and the same
LibTorch (Debian's libtorch 1.13 and python3-torch 1.13). Each side runs
`--repeats` times, alternating; the median samples per second of the training
loop (data loading and start-up excluded on both sides) is compared. Models:
  mlp  784-256-128-10, ReLU, batch 64
  cnn  conv 32 (3x3, BN, ReLU, maxpool 2), conv 64 (same), dense 128, batch 128
"""
import argparse
import gzip
import json
import math
import os
import statistics
import subprocess
import tempfile
import time

import numpy as np
import torch

DATA = os.environ.get("KNOB_FASHION_MNIST", "/usr/share/datasets/fashion-mnist")
MODELS = {
    "mlp": {"batch": 64, "knob": {"type": "mlp", "hidden": [256, 128], "dropout": 0.0}},
    "cnn": {"batch": 128, "knob": {"type": "cnn", "channels": [32, 64], "kernel": 3, "batch_norm": True,
                                   "pooling": "max", "hidden": [128], "dropout": 0.0}},
}


def read_idx(path):
    with gzip.open(path) as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * dims).reshape(shape)


def write_idx(path, array):
    header = bytes([0, 0, 8, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    with open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


def python_model(name):
    nn = torch.nn
    if name == "mlp":
        return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    return nn.Sequential(nn.Unflatten(1, (1, 28, 28)),
                         nn.Conv2d(1, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(32, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10))


def python_loop(name, images, labels, test_images, test_labels, epochs, threads, device):
    torch.set_num_threads(threads)
    torch.manual_seed(42)
    x = images.reshape(len(images), -1) / 255.0
    mean, std = x.mean(), x.std()
    x = torch.tensor((x - mean) / std, dtype=torch.float32)
    tx = torch.tensor((test_images.reshape(len(test_images), -1) / 255.0 - mean) / std, dtype=torch.float32)
    y, ty = torch.tensor(labels, dtype=torch.int64), torch.tensor(test_labels, dtype=torch.int64)
    # On a GPU the whole dataset stays there, as knob-train keeps it.
    x, y, tx, ty = x.to(device), y.to(device), tx.to(device), ty.to(device)
    net = python_model(name).to(device)
    decay = [p for p in net.parameters() if p.dim() >= 2]
    no_decay = [p for p in net.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=1e-3)
    batch = MODELS[name]["batch"]
    steps_per_epoch = math.ceil(len(x) / batch)
    total = steps_per_epoch * epochs
    step = 0
    start = time.perf_counter()
    for _ in range(epochs):
        order = torch.randperm(len(x), device=device)
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
    if device != "cpu":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    net.eval()
    with torch.no_grad():
        accuracy = sum((net(tx[i:i + 1000]).argmax(1) == ty[i:i + 1000]).sum().item()
                       for i in range(0, len(tx), 1000)) / len(tx)
    return len(x) * epochs / seconds, accuracy


def knob_train(build, name, folder, epochs, threads, test_count, device):
    config = {"learning_rate": 1e-3, "num_train_epochs": epochs,
              "per_device_train_batch_size": MODELS[name]["batch"], "per_device_eval_batch_size": 1000,
              "weight_decay": 0.01, "max_grad_norm": 1.0, "lr_scheduler_type": "linear", "eval_strategy": "no",
              "save_strategy": "no", "logging_steps": 1000000, "max_eval_samples": test_count,
              "use_cpu": device == "cpu",
              "model": MODELS[name]["knob"], "dataset": {"name": "idx", "path": folder, "validation_size": 1}}
    path = os.path.join(folder, "bench.json")
    with open(path, "w") as f:
        json.dump(config, f)
    out = os.path.join(folder, "out")
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS="1")
    subprocess.run([os.path.join(build, "knob-train"), "--config", path, "--set", f"output_dir={out}"],
                   check=True, capture_output=True, env=env)
    with open(os.path.join(out, "metrics.json")) as f:
        metrics = json.load(f)
    return metrics["train_samples_per_second"], metrics["test_accuracy"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("build")
    parser.add_argument("--models", default="mlp,cnn")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--train-samples", type=int, default=20000)
    parser.add_argument("--test-samples", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--device", default="cpu", help="cpu, or cuda (knob-train then trains on the GPU too)")
    a = parser.parse_args()
    os.environ["OPENBLAS_NUM_THREADS"] = "1"
    images = read_idx(f"{DATA}/train-images-idx3-ubyte.gz")[:a.train_samples]
    labels = read_idx(f"{DATA}/train-labels-idx1-ubyte.gz")[:a.train_samples]
    test_images = read_idx(f"{DATA}/t10k-images-idx3-ubyte.gz")[:a.test_samples]
    test_labels = read_idx(f"{DATA}/t10k-labels-idx1-ubyte.gz")[:a.test_samples]
    print(f"{a.train_samples} Fashion-MNIST images x {a.epochs} epochs, AdamW, {a.threads} thread(s), "
          f"median of {a.repeats}, LibTorch {torch.__version__} both sides, device {a.device}"
          + (f" ({torch.cuda.get_device_name(0)})" if a.device != "cpu" else ""))
    with tempfile.TemporaryDirectory() as folder:
        write_idx(f"{folder}/train-images-idx3-ubyte", images)
        write_idx(f"{folder}/train-labels-idx1-ubyte", labels)
        write_idx(f"{folder}/t10k-images-idx3-ubyte", test_images)
        write_idx(f"{folder}/t10k-labels-idx1-ubyte", test_labels)
        for name in a.models.split(","):
            knob_runs, python_runs = [], []
            for _ in range(a.repeats):
                knob_runs.append(knob_train(a.build, name, folder, a.epochs, a.threads, a.test_samples, a.device))
                python_runs.append(python_loop(name, images, labels, test_images, test_labels, a.epochs, a.threads,
                                               a.device))
            knob_rate = statistics.median(r for r, _ in knob_runs)
            python_rate = statistics.median(r for r, _ in python_runs)
            print(f"{name} (batch {MODELS[name]['batch']}):")
            print(f"  knob-train:          {knob_rate:9.0f} samples/s, test accuracy {knob_runs[0][1]:.4f}")
            print(f"  Python PyTorch loop: {python_rate:9.0f} samples/s, test accuracy {python_runs[0][1]:.4f}")
            print(f"  ratio knob-train/Python: {knob_rate / python_rate:.2f}   (runs: knob-train "
                  + " ".join(f"{r:.0f}" for r, _ in knob_runs) + "; Python " + " ".join(f"{r:.0f}" for r, _ in python_runs)
                  + ")")


if __name__ == "__main__":
    main()
