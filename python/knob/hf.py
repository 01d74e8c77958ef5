"""A Hugging Face TrainerCallback that makes an HF Trainer script a knob trainer.

    import knob, knob.hf
    p = knob.params()
    args = TrainingArguments(output_dir="out", learning_rate=p["learning_rate"], eval_strategy="epoch", ...)
    trainer = Trainer(..., args=args, callbacks=[knob.hf.KnobCallback(metric="eval_accuracy")])
    knob.hf.train(trainer)          # trainer.train(), resumed from a retried attempt's checkpoint

Every evaluation is reported to knob (step = global step); when the study's
pruner says stop, training stops at once. At the end the best (or last) value of
the metric is the trial's result. Needs `transformers` (imported here only).

A script built around `trainer.hyperparameter_search(...)` (Optuna backend) changes
one line: `knob.hf.hyperparameter_search(trainer, ...)`, same arguments. Under
`knob run` each trial is one training run of a knob study (its `hp_space` asked
of knob, every evaluation's `compute_objective` reported for pruning); outside
knob it is the Trainer's own search.
"""
import math
import os
import re

from transformers import TrainerCallback

from . import _channel
from . import protocol
from .serve import check_directions, serve
from .trial import TrialPruned


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


class _ObjectiveReporter(TrainerCallback):
    """What the Trainer's own Optuna search does at each evaluation: the objective
    from `compute_objective`, reported at the global step; stop when pruned."""

    def __init__(self, trainer, trial):
        self.trainer = trainer
        self.trial = trial
        self.pruned = False

    def on_evaluate(self, args, state, control, metrics=None, **kwargs):
        if not metrics:
            return
        self.trainer.objective = self.trainer.compute_objective(dict(metrics))
        self.trial.report(self.trainer.objective, state.global_step)
        if self.trial.should_prune():
            self.pruned = True
            control.should_training_stop = True


def hyperparameter_search(trainer, hp_space=None, compute_objective=None, n_trials=20, direction="minimize",
                          backend=None, hp_name=None, **kwargs):
    """`trainer.hyperparameter_search` as a knob trainer (see the module's text).

    Under knob the study file decides the budget (`n_trials` is ignored) and the
    direction, which must agree with `direction`; the Trainer needs a `model_init`,
    as for the Trainer's own search. The process serves trials until knob is done
    and then exits.
    """
    if not _channel.under_knob():
        return trainer.hyperparameter_search(hp_space=hp_space, compute_objective=compute_objective,
                                             n_trials=n_trials, direction=direction, backend=backend or "optuna",
                                             hp_name=hp_name, **kwargs)
    from transformers.trainer_utils import HPSearchBackend, default_compute_objective, default_hp_space_optuna

    if trainer.model_init is None:
        raise RuntimeError("To use hyperparameter search, you need to pass your model through a model_init function.")
    if backend not in (None, "optuna", HPSearchBackend.OPTUNA):
        raise ValueError("under knob the search is knob's (Optuna's interface); backend %r is not used" % (backend,))
    trainer.hp_search_backend = HPSearchBackend.OPTUNA
    trainer.hp_space = hp_space or default_hp_space_optuna
    trainer.hp_name = hp_name
    trainer.compute_objective = compute_objective or default_compute_objective

    def objective(trial):
        check_directions(trial, [direction] if isinstance(direction, str) else direction, "hyperparameter_search")
        reporter = _ObjectiveReporter(trainer, trial)
        trainer.add_callback(reporter)
        try:
            # The Trainer's own step: hp_space(trial) onto trainer.args. train() is then
            # run without the trial (its Optuna path wants an optuna.Trial), the reporter
            # doing what that path does at each evaluation.
            trainer._hp_search_setup(trial)
            trainer.objective = None
            train(trainer)
        finally:
            trainer.remove_callback(reporter)
        if reporter.pruned:
            raise TrialPruned()
        if getattr(trainer, "objective", None) is None:  # no evaluation during training
            trainer.objective = trainer.compute_objective(trainer.evaluate())
        return trainer.objective

    serve(objective)
