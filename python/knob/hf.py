"""A Hugging Face TrainerCallback that makes an HF Trainer script a knob trainer.

    import knob, knob.hf
    p = knob.params()
    args = TrainingArguments(output_dir="out", learning_rate=p["learning_rate"], eval_strategy="epoch", ...)
    trainer = Trainer(..., args=args, callbacks=[knob.hf.KnobCallback(metric="eval_accuracy")])
    knob.hf.train(trainer)          # trainer.train(), resumed from a retried attempt's checkpoint

Every evaluation is reported to knob (step = global step); when the study's
pruner says stop, training stops at once. At the end the best (or last) value of
the metric is the trial's result. Needs `transformers` (imported here only).
"""
import math
import os
import re

from transformers import TrainerCallback

from . import protocol


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
        if protocol.report(state.global_step, value, metrics=numbers):
            self.pruned = True
            control.should_training_stop = True

    def on_train_end(self, args, state, control, **kwargs):
        if not self.pruned and self.best is not None:
            protocol.result(self.best, metrics={"global_step": state.global_step})


def latest_checkpoint(output_dir):
    """The newest checkpoint-N folder that a retried attempt of this trial left in
    its own `output_dir` (the same path, read in the attempt's folder), or None."""
    resume = protocol.resume_dir()
    if not resume:
        return None
    here = protocol.trial_dir()
    path = os.path.abspath(output_dir)
    if not (path == here or path.startswith(here.rstrip("/") + "/")):
        return None
    old = os.path.join(resume, os.path.relpath(path, here))
    steps = []
    for name in os.listdir(old) if os.path.isdir(old) else []:
        match = re.fullmatch(r"checkpoint-(\d+)", name)
        if match and os.path.isdir(os.path.join(old, name)):
            steps.append((int(match.group(1)), name))
    return os.path.join(old, max(steps)[1]) if steps else None


def train(trainer, **kwargs):
    """trainer.train(), resuming from the retried attempt's latest checkpoint when there is one."""
    kwargs.setdefault("resume_from_checkpoint", latest_checkpoint(trainer.args.output_dir))
    return trainer.train(**kwargs)
