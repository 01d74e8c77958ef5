#!/usr/bin/env python3
"""A Hugging Face `Trainer.hyperparameter_search` script as a knob trainer
(tests/python/hf_search_test.py): the one line changed is the call, now
`knob.hf.hyperparameter_search(trainer, ...)` with the same arguments.

A tiny BERT built from a config (nothing downloaded) learns whether token 7 is in
a sequence of 12. The objective is eval_accuracy; the space is the learning rate
and the batch size. DIRECTION (default maximize) is what the script passes.
"""
import os

import torch
import transformers
from transformers import BertConfig, BertForSequenceClassification, Trainer, TrainingArguments

import knob.hf

transformers.logging.set_verbosity_error()


class Tokens(torch.utils.data.Dataset):
    def __init__(self, n, seed):
        g = torch.Generator().manual_seed(seed)
        self.x = torch.randint(8, 40, (n, 12), generator=g)
        self.y = (torch.rand(n, generator=g) < 0.5).long()
        where = torch.randint(0, 12, (n,), generator=g)
        self.x[self.y == 1, where[self.y == 1]] = 7

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        return {"input_ids": self.x[i], "attention_mask": torch.ones(12, dtype=torch.long), "labels": self.y[i]}


def model_init():
    torch.manual_seed(0)
    config = BertConfig(vocab_size=40, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=16, num_labels=2)
    return BertForSequenceClassification(config)


def accuracy(prediction):
    return {"accuracy": float((prediction.predictions.argmax(-1) == prediction.label_ids).mean())}


def hp_space(trial):
    return {"learning_rate": trial.suggest_float("learning_rate", 1e-4, 1e-2, log=True),
            "per_device_train_batch_size": trial.suggest_categorical("per_device_train_batch_size", [16, 32])}


args = TrainingArguments(output_dir="out", num_train_epochs=4, per_device_eval_batch_size=64, eval_strategy="epoch",
                         save_strategy="no", logging_strategy="epoch", report_to=[], use_cpu=True, seed=1,
                         disable_tqdm=True)
trainer = Trainer(model_init=model_init, args=args, train_dataset=Tokens(1024, 1), eval_dataset=Tokens(256, 2),
                  compute_metrics=accuracy)
best = knob.hf.hyperparameter_search(trainer, hp_space=hp_space, compute_objective=lambda m: m["eval_accuracy"],
                                     n_trials=4, direction=os.environ.get("DIRECTION", "maximize"))
print("best run", best)
