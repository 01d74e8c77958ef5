#!/usr/bin/env python3
"""A real Hugging Face Trainer as a knob trainer (tests/python/hf_trainer_test.py).

The tiny task of hf_tiny_task.py; knob.hf.KnobCallback reports each epoch's eval_accuracy and
stops the run when pruned; knob.hf.train resumes a retried attempt from its
checkpoint. With CRASH_TRIAL=T and CRASH_AFTER_EPOCH=N, trial T's first attempt (no
KNOB_RESUME_DIR) dies after saving epoch N's checkpoint: its retry resumes there.
"""
import os

import transformers
from transformers import Trainer, TrainerCallback, TrainingArguments

from hf_tiny_task import Tokens, accuracy, tiny_bert

import knob
import knob.hf

transformers.logging.set_verbosity_error()


class CrashAfter(TrainerCallback):
    def __init__(self, epoch):
        self.epoch = epoch

    def on_save(self, args, state, control, **kwargs):
        if round(state.epoch) == self.epoch:
            os._exit(3)


p = knob.params()
args = TrainingArguments(output_dir="out", learning_rate=p["learning_rate"], num_train_epochs=5,
                         per_device_train_batch_size=32, per_device_eval_batch_size=64, eval_strategy="epoch",
                         save_strategy="epoch", logging_strategy="epoch", report_to=[], use_cpu=True, seed=1,
                         disable_tqdm=True)
callbacks = [knob.hf.KnobCallback(metric="eval_accuracy")]
crash = os.environ.get("CRASH_AFTER_EPOCH")
if crash and os.environ.get("CRASH_TRIAL") == str(knob.trial_number()) and not knob.resume_dir():
    callbacks.append(CrashAfter(int(crash)))
trainer = Trainer(model=tiny_bert(), args=args, train_dataset=Tokens(1024, 1),
                  eval_dataset=Tokens(256, 2), compute_metrics=accuracy, callbacks=callbacks)
resume = knob.hf.latest_checkpoint(args.output_dir)
print("resuming from", resume, flush=True)
knob.hf.train(trainer)
print("trained to step", trainer.state.global_step, flush=True)
