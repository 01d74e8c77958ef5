"""knob's Python side: bring an Optuna objective, or any training script, to `knob run`.

    import knob
    knob.serve(objective)           # an Optuna objective, unchanged (knob/serve.py)

    p = knob.params()               # or the plain protocol (knob/protocol.py)
    if knob.report(epoch, loss): ...
    knob.result(loss)

`knob.hf` holds a Hugging Face TrainerCallback. Standard library only.
"""
from ._channel import PROTOCOL, KnobError, under_knob
from .protocol import fail, params, report, result, resume_dir, trial_dir, trial_number
from .serve import serve
from .trial import Trial, TrialPruned

__all__ = ["PROTOCOL", "KnobError", "Trial", "TrialPruned", "fail", "params", "report", "result", "resume_dir",
           "serve", "trial_dir", "trial_number", "under_knob"]
