#!/usr/bin/env python3
"""A define-by-run objective for the dashboard test: a conditional space (momentum
only for sgd), pruned trials, failed ones (x > 4), and hostile text in a choice,
a user attribute and a failure message."""
import math
import knob

XSS = "<script>alert(1)</script>"

def objective(trial):
    x = trial.suggest_float("x", -5.0, 5.0)
    lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
    kind = trial.suggest_categorical("kind", ["sgd", "adam", XSS])
    if kind == "sgd":
        trial.suggest_float("momentum", 0.0, 0.99)
    trial.set_user_attr("note", XSS)
    if x > 4.0:
        raise RuntimeError("x too large: " + XSS)
    value = None
    for step in range(1, 6):
        value = (x - 1.0) ** 2 + abs(math.log10(lr) + 2) + 1.0 / step
        trial.report(value, step)
        if trial.should_prune():
            raise knob.TrialPruned()
    return value

if __name__ == "__main__":
    knob.serve(objective)
