#!/usr/bin/env python3
"""A real objective for the ask/tell example: the Branin function (minimum 0.397887)
with a categorical penalty and a learning-curve of intermediate values.

Usage: branin.py '{"x1": ..., "x2": ..., "shape": "..."}'
Prints one line per step, "step VALUE", then the final value on the last line.
"""
import json
import math
import sys

params = json.loads(sys.argv[1])
x1, x2 = params["x1"], params["x2"]
value = (x2 - 5.1 / (4 * math.pi ** 2) * x1 ** 2 + 5 / math.pi * x1 - 6) ** 2 \
    + 10 * (1 - 1 / (8 * math.pi)) * math.cos(x1) + 10
value += {"round": 0.0, "flat": 0.5, "spiky": 2.0}[params["shape"]]
for step in range(4):  # a learning curve converging to the value
    print(f"step {value + 4.0 / (step + 1)}")
print(value)
