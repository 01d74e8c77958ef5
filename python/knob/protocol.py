"""The plain trainer protocol for scripts that are not Optuna objectives.

    import knob
    p = knob.params()                 # this trial's parameters
    for epoch in range(10):
        if knob.report(epoch, loss):  # True: the pruner says stop
            break
    knob.result(loss)                 # once, before exiting

`metrics=` carries any other numbers (stored with the trial); with `metric:
NAME` in the study file, a metrics dict holding NAME may stand in for the
value. Outside knob the calls print what they would send and never prune.
"""
import json
import os
import sys

from . import _channel


def _number(value):
    # json.dumps writes NaN / Infinity for non-finite floats; knob reads them.
    return float(value) if value is not None else None


def _metric(value):
    # ints, strings and bools as they are; numpy / torch scalars as floats.
    if isinstance(value, (bool, int, str)) or value is None:
        return value
    return float(value) if hasattr(value, "__float__") else str(value)


def _message(kind, value, metrics, **fields):
    message = {"type": kind}
    message.update(fields)
    if value is not None:
        message["value"] = _number(value)
    if metrics:
        message["metrics"] = {str(k): _metric(v) for k, v in metrics.items()}
    return message


def params():
    """The trial's parameters as a dict ($KNOB_PARAMS, else params.json in the working folder)."""
    if "KNOB_PARAMS" in os.environ:
        return json.loads(os.environ["KNOB_PARAMS"])
    path = os.environ.get("KNOB_PARAMS_FILE", "params.json")
    if os.path.exists(path):
        with open(path) as f:
            return json.load(f)
    return {}


def trial_number():
    return int(os.environ.get("KNOB_TRIAL_NUMBER", "-1"))


def trial_dir():
    return os.environ.get("KNOB_TRIAL_DIR", os.getcwd())


def resume_dir():
    """The folder of the attempt this trial retries (resume from its checkpoints), or None."""
    return os.environ.get("KNOB_RESUME_DIR") or None


def report(step, value=None, metrics=None):
    """Records `value` at `step` (an int >= 0); True means: stop, you are pruned."""
    message = _message("report", value, metrics, step=int(step))
    if not _channel.connected():
        sys.stdout.write("knob: " + json.dumps(message) + "\n")
        return False
    answer = _channel.request(message, "decision")
    if answer is None:  # knob is gone: stop quietly
        return True
    return bool(answer.get("prune", False))


def result(value=None, metrics=None):
    """Sends the trial's objective; call once, at the trial's end."""
    message = _message("result", value, metrics)
    if not _channel.connected():
        sys.stdout.write("knob: " + json.dumps(message) + "\n")
        if value is not None:
            print(json.dumps({"knob_result": _number(value)}))  # the stdout form knob also reads
        return
    _channel.send(message)


def fail(reason):
    """Ends the trial as FAILed with `reason` (one line)."""
    if _channel.connected():
        _channel.send({"type": "fail", "reason": str(reason)})
