#!/usr/bin/python3
"""Drives knob.hf.KnobCallback (python/knob/hf.py) the way transformers.Trainer calls a callback.

transformers is not a dependency of knob's tests, so a stand-in module provides
TrainerCallback; the loop below calls on_evaluate after each "epoch" with an
eval_accuracy that depends on the trial's learning_rate, honours
control.should_training_stop, and calls on_train_end, as Trainer does.
"""
import math
import os
import sys
import types

here = os.path.dirname(os.path.abspath(__file__))
stand_in = types.ModuleType("transformers")


class TrainerCallback:
    pass


stand_in.TrainerCallback = TrainerCallback
sys.modules["transformers"] = stand_in
sys.path.insert(0, os.path.join(here, "..", "..", "python"))
import knob  # noqa: E402
from knob.hf import KnobCallback  # noqa: E402

p = knob.params()
callback = KnobCallback(metric="accuracy")
state = types.SimpleNamespace(global_step=0)
control = types.SimpleNamespace(should_training_stop=False)
for epoch in range(1, 7):
    state.global_step = epoch * 100
    accuracy = 0.9 - abs(math.log10(p["learning_rate"]) + 3) * 0.1 - 0.3 / epoch
    print(f"epoch {epoch} eval_accuracy {accuracy!r}", flush=True)
    callback.on_evaluate(None, state, control, metrics={"eval_accuracy": accuracy, "eval_loss": 1 - accuracy,
                                                       "epoch": epoch})
    if control.should_training_stop:
        print("stopped by knob", flush=True)
        break
callback.on_train_end(None, state, control)
