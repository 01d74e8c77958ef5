"""The knob trainer protocol for Python, standard library only.

Copy this file next to your training script (or put examples/python on
PYTHONPATH). Under `knob run`, a trial's process has:

  params()            the trial's parameters (from $KNOB_PARAMS / params.json)
  report(step, value) record an intermediate value; returns True when the
                      study's pruner says to stop (then return/exit 0 soon)
  result(value)       the objective, once, before exiting

`metrics=` on report/result carries any other numbers (stored with the trial);
with `metric: NAME` in the study file, a metrics dict holding NAME may stand in
for the value. Outside knob (no $KNOB_CONTROL_FD) the calls print what they
would send and never prune, so the same script runs on its own.
"""
import json
import math
import os
import socket
import sys

__all__ = ["params", "report", "result", "trial_number", "trial_dir", "under_knob", "KnobError"]


class KnobError(RuntimeError):
    """knob refused a message (a bad step or value); the text says why."""

_channel = None
_reader = None


def under_knob():
    return "KNOB_CONTROL_FD" in os.environ


def _connect():
    global _channel, _reader
    if _channel is None and under_knob():
        fd = int(os.environ["KNOB_CONTROL_FD"])
        _channel = socket.socket(fileno=fd)
        _reader = _channel.makefile("r", encoding="utf-8")
    return _channel


def _clean(value):
    # json.dumps writes NaN / Infinity for non-finite floats; knob reads them.
    return float(value) if value is not None else None


def _metric(value):
    # ints, strings and bools as they are; numpy / torch scalars as floats.
    if isinstance(value, (bool, int, str)) or value is None:
        return value
    return float(value) if hasattr(value, "__float__") else str(value)


def _send(message):
    line = json.dumps(message) + "\n"
    channel = _connect()
    if channel is None:
        sys.stdout.write("knob: " + line)
        return
    channel.sendall(line.encode("utf-8"))


def params():
    """The trial's parameters as a dict."""
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


def report(step, value=None, metrics=None):
    """Records `value` at `step` (an int >= 0); True means: stop, you are pruned."""
    message = {"type": "report", "step": int(step)}
    if value is not None:
        message["value"] = _clean(value)
    if metrics:
        message["metrics"] = {k: _metric(v) for k, v in metrics.items()}
    _send(message)
    if _connect() is None:
        return False
    answer = _reader.readline()
    if not answer:  # knob is gone: stop quietly
        return True
    answer = json.loads(answer)
    if answer.get("type") == "error":
        raise KnobError(answer.get("message", "knob refused the report"))
    return bool(answer.get("prune", False))


def result(value=None, metrics=None):
    """Sends the trial's objective; call once, just before exiting."""
    message = {"type": "result"}
    if value is not None:
        message["value"] = _clean(value)
    if metrics:
        message["metrics"] = {k: _metric(v) for k, v in metrics.items()}
    _send(message)
    if _connect() is None and value is not None:
        # The stdout form knob also reads.
        print(json.dumps({"knob_result": _clean(value)}))
