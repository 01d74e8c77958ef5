"""A Hugging Face `TrainerCallback` that makes an HF Trainer script a knob trainer.

    from knob_callback import KnobCallback, knob_params
    p = knob_params()                               # the trial's parameters
    args = TrainingArguments(..., learning_rate=p["learning_rate"], eval_strategy="epoch")
    trainer = Trainer(..., args=args, callbacks=[KnobCallback(metric="eval_accuracy")])
    trainer.train()

Every evaluation is reported to knob as an intermediate value (step = global
step); when the study's pruner says stop, training stops at once. At the end
the best (or last) value of the metric is sent as the trial's result. Needs
`transformers`; the protocol itself is examples/python/knob_trial.py.
"""
import math
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import knob_trial  # noqa: E402
from transformers import TrainerCallback  # noqa: E402

knob_params = knob_trial.params


class KnobCallback(TrainerCallback):
    def __init__(self, metric="eval_loss", greater_is_better=None):
        self.metric = metric if metric.startswith("eval_") else "eval_" + metric
        if greater_is_better is None:
            greater_is_better = not self.metric.endswith("loss")
        self.greater_is_better = greater_is_better
        self.best = None
        self.pruned = False

    def on_evaluate(self, args, state, control, metrics=None, **kwargs):
        if not metrics or self.metric not in metrics:
            return
        value = float(metrics[self.metric])
        better = self.best is None or (value > self.best if self.greater_is_better else value < self.best)
        if not math.isnan(value) and better:
            self.best = value
        numbers = {k: v for k, v in metrics.items() if isinstance(v, (int, float))}
        if knob_trial.report(state.global_step, value, metrics=numbers):
            self.pruned = True
            control.should_training_stop = True

    def on_train_end(self, args, state, control, **kwargs):
        if not self.pruned and self.best is not None:
            knob_trial.result(self.best, metrics={"global_step": state.global_step})
