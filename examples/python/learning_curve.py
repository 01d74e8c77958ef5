#!/usr/bin/env python3
"""A learning-curve objective for `knob run`: a trainer in a dozen lines.

Its "loss" after each epoch depends on lr, depth and activation; it reports
every epoch (so that pruners can stop it early), prints what it reports, and
sends its final loss as the result. Standard library only.
"""
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import knob_trial  # noqa: E402

p = knob_trial.params()
lr, depth, activation = p["lr"], p["depth"], p["activation"]
floor = (math.log10(lr) + 2.5) ** 2 * 0.1 + abs(depth - 3) * 0.05 + (0.0 if activation == "gelu" else 0.03)
loss = None
for epoch in range(1, int(os.environ.get("EPOCHS", "8")) + 1):
    loss = floor + 1.0 / epoch
    print(f"epoch {epoch} loss {loss!r}", flush=True)
    if knob_trial.report(epoch, loss):
        print("pruned", flush=True)
        sys.exit(0)
print(f"final {loss!r}", flush=True)
knob_trial.result(loss, metrics={"epochs": epoch})
