#!/usr/bin/env python3
"""A Hugging Face `Trainer.hyperparameter_search` script as a knob trainer
(tests/python/hf_search_test.py): the one line changed is the call, now
`knob.hf.hyperparameter_search(trainer, ...)` with the same arguments. With
UNCHANGED=1 it makes the Trainer's own call, as run by `python3 -m knob`.

The tiny task of hf_tiny_task.py. The objective is eval_accuracy; the space is the learning rate
and the batch size. DIRECTION (default maximize) is what the script passes.
"""
import functools
import os

import transformers
from transformers import Trainer, TrainingArguments

from hf_tiny_task import Tokens, accuracy, tiny_bert

import knob.hf

transformers.logging.set_verbosity_error()


def hp_space(trial):
    return {"learning_rate": trial.suggest_float("learning_rate", 1e-4, 1e-2, log=True),
            "per_device_train_batch_size": trial.suggest_categorical("per_device_train_batch_size", [16, 32])}


args = TrainingArguments(output_dir="out", num_train_epochs=4, per_device_eval_batch_size=64, eval_strategy="epoch",
                         save_strategy="no", logging_strategy="epoch", report_to=[], use_cpu=True, seed=1,
                         disable_tqdm=True)
trainer = Trainer(model_init=tiny_bert, args=args, train_dataset=Tokens(1024, 1), eval_dataset=Tokens(256, 2),
                  compute_metrics=accuracy)
if os.environ.get("UNCHANGED"):
    search = trainer.hyperparameter_search
else:
    search = functools.partial(knob.hf.hyperparameter_search, trainer)
best = search(hp_space=hp_space, compute_objective=lambda m: m["eval_accuracy"], n_trials=4,
              direction=os.environ.get("DIRECTION", "maximize"))
print("best run", best)
