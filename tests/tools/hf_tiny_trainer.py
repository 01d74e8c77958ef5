#!/usr/bin/env python3
"""A real Hugging Face Trainer as a knob trainer (tests/python/hf_trainer_test.py).

A tiny BERT built from a config (nothing downloaded) learns whether token 7 is in
a sequence of 12; knob.hf.KnobCallback reports each epoch's eval_accuracy and
stops the run when pruned; knob.hf.train resumes a retried attempt from its
checkpoint. With CRASH_TRIAL=T and CRASH_AFTER_EPOCH=N, trial T's first attempt (no
KNOB_RESUME_DIR) dies after saving epoch N's checkpoint: its retry resumes there.
"""
import os

import torch
import transformers
from transformers import BertConfig, BertForSequenceClassification, Trainer, TrainerCallback, TrainingArguments

import knob
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


class CrashAfter(TrainerCallback):
    def __init__(self, epoch):
        self.epoch = epoch

    def on_save(self, args, state, control, **kwargs):
        if round(state.epoch) == self.epoch:
            os._exit(3)


def accuracy(prediction):
    return {"accuracy": float((prediction.predictions.argmax(-1) == prediction.label_ids).mean())}


p = knob.params()
torch.manual_seed(0)
config = BertConfig(vocab_size=40, hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64,
                    max_position_embeddings=16, num_labels=2)
args = TrainingArguments(output_dir="out", learning_rate=p["learning_rate"], num_train_epochs=5,
                         per_device_train_batch_size=32, per_device_eval_batch_size=64, eval_strategy="epoch",
                         save_strategy="epoch", logging_strategy="epoch", report_to=[], use_cpu=True, seed=1,
                         disable_tqdm=True)
callbacks = [knob.hf.KnobCallback(metric="eval_accuracy")]
crash = os.environ.get("CRASH_AFTER_EPOCH")
if crash and os.environ.get("CRASH_TRIAL") == str(knob.trial_number()) and not knob.resume_dir():
    callbacks.append(CrashAfter(int(crash)))
trainer = Trainer(model=BertForSequenceClassification(config), args=args, train_dataset=Tokens(1024, 1),
                  eval_dataset=Tokens(256, 2), compute_metrics=accuracy, callbacks=callbacks)
resume = knob.hf.latest_checkpoint(args.output_dir)
print("resuming from", resume, flush=True)
knob.hf.train(trainer)
print("trained to step", trainer.state.global_step, flush=True)
