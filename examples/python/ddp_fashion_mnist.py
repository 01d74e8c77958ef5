#!/usr/bin/env python3
"""A plain PyTorch DistributedDataParallel trainer under `knob run`, on the CPU.

`trainer.processes: 2` in the study file makes knob start this script twice per
trial, as torchrun would: RANK, LOCAL_RANK, WORLD_SIZE, MASTER_ADDR and a
MASTER_PORT of the trial's own, so `init_process_group("gloo")` needs nothing
else. Every rank gets the same parameters from `knob.params()`. Every rank calls
`knob.report`: knob answers each one with rank 0's decision at that step, so all
ranks stop together when the trial is pruned, with no collective of the
script's own. Rank 0's result is the trial's.

Fashion-MNIST from Debian's dataset-fashion-mnist (or $KNOB_FASHION_MNIST), a
small MLP, each epoch's examples sharded over the ranks (DistributedSampler),
gradients averaged by DDP, the validation loss summed over the ranks.

Test hooks (the distributed test): with $DDP_RECORD set, each rank writes what
it saw to rank<R>.json in its trial folder; rank 1 of trial $DDP_HOLD_TRIAL
stops there and waits for a signal.
"""
import gzip
import json
import os
import signal
import struct
import time

import torch
import torch.distributed as dist

import knob

DATA = os.environ.get("KNOB_FASHION_MNIST", "/usr/share/datasets/fashion-mnist")


def idx(name):
    with gzip.open(os.path.join(DATA, name)) as f:
        data = f.read()
    dims = data[3]
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return torch.frombuffer(bytearray(data[4 + 4 * dims:]), dtype=torch.uint8).reshape(shape)


def main():
    started = time.time()
    dist.init_process_group("gloo")  # env://: knob set RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT
    rank, world = dist.get_rank(), dist.get_world_size()
    p = knob.params()
    lr, hidden, epochs = float(p.get("lr", 1e-3)), int(p.get("hidden", 128)), int(p.get("epochs", 3))
    seen = {"rank": rank, "world_size": world, "local_rank": int(os.environ["LOCAL_RANK"]),
            "port": os.environ["MASTER_PORT"], "params": p, "pid": os.getpid(), "start": started,
            "trial": knob.trial_number(), "threads": torch.get_num_threads(), "decisions": []}

    def record():
        if os.environ.get("DDP_RECORD"):
            with open(os.path.join(knob.trial_dir(), "rank%d.json" % rank), "w") as f:
                json.dump(seen, f)

    record()
    if rank == 1 and str(knob.trial_number()) == os.environ.get("DDP_HOLD_TRIAL"):
        signal.pause()

    n_train = int(os.environ.get("DDP_TRAIN_SAMPLES", "6000"))
    x = idx("train-images-idx3-ubyte.gz")[:n_train + 1000].float().div(255).reshape(-1, 784)
    y = idx("train-labels-idx1-ubyte.gz")[:n_train + 1000].long()
    train = torch.utils.data.TensorDataset(x[:n_train], y[:n_train])
    xv, yv = x[n_train:], y[n_train:]
    torch.manual_seed(0)  # the same initial weights on every rank (DDP broadcasts rank 0's anyway)
    model = torch.nn.Sequential(torch.nn.Linear(784, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 10))
    ddp = torch.nn.parallel.DistributedDataParallel(model)
    optimizer = torch.optim.Adam(ddp.parameters(), lr=lr)
    sampler = torch.utils.data.distributed.DistributedSampler(train, num_replicas=world, rank=rank, seed=0)
    loader = torch.utils.data.DataLoader(train, batch_size=64, sampler=sampler)
    shard = slice(rank * len(xv) // world, (rank + 1) * len(xv) // world)
    loss = float("nan")
    for epoch in range(1, epochs + 1):
        sampler.set_epoch(epoch)
        ddp.train()
        for xb, yb in loader:
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(ddp(xb), yb).backward()
            optimizer.step()
        ddp.eval()
        with torch.no_grad():
            logits = model(xv[shard])
            totals = torch.tensor([torch.nn.functional.cross_entropy(logits, yv[shard], reduction="sum").item(),
                                   (logits.argmax(1) == yv[shard]).sum().item(), float(logits.shape[0])],
                                  dtype=torch.float64)
        dist.all_reduce(totals)
        loss, accuracy = (totals[0] / totals[2]).item(), (totals[1] / totals[2]).item()
        pruned = knob.report(epoch, loss)
        seen["decisions"].append([epoch, pruned])
        seen["end"] = time.time()
        record()
        if pruned:
            break
    else:
        knob.result(loss, metrics={"accuracy": accuracy, "world_size": world})
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
