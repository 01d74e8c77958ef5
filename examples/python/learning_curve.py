#!/usr/bin/env python3
"""A learning-curve objective for `knob run`: a trainer in a dozen lines.

Its "loss" after each epoch depends on lr, depth and activation; it reports
every epoch (so that pruners can stop it early), prints what it reports, and
sends its final loss as the result. Standard library only.
"""
import math
import os
import sys

import knob  # knob run puts its python/ package on the trainer's PYTHONPATH

p = knob.params()
lr, depth, activation = p["lr"], p["depth"], p["activation"]
floor = (math.log10(lr) + 2.5) ** 2 * 0.1 + abs(depth - 3) * 0.05 + (0.0 if activation == "gelu" else 0.03)
loss = None
for epoch in range(1, int(os.environ.get("EPOCHS", "8")) + 1):
    loss = floor + 1.0 / epoch
    print(f"epoch {epoch} loss {loss!r}", flush=True)
    if knob.report(epoch, loss):
        print("pruned", flush=True)
        sys.exit(0)
print(f"final {loss!r}", flush=True)
knob.result(loss, metrics={"epochs": epoch})
