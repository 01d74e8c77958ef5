"""The control channel to knob: one spelling of the trainer protocol in Python.

Under `knob run` a trainer has an inherited socket named by $KNOB_CONTROL_FD;
messages are JSON lines both ways (README "Trainer protocol"). Every request
(report, suggest, user_attr, system_attr, enqueue, study) gets exactly one answer line; result, fail and
hello get none. Outside knob there is no channel: `connected()` is False.
"""
import json
import os
import socket

PROTOCOL = 3


class KnobError(RuntimeError):
    """knob refused a message (a bad step, a suggestion contradicting the space); the text says why."""


_socket = None
_reader = None


def under_knob():
    return "KNOB_CONTROL_FD" in os.environ


def connected():
    global _socket, _reader
    if _socket is None and under_knob():
        _socket = socket.socket(fileno=int(os.environ["KNOB_CONTROL_FD"]))
        _reader = _socket.makefile("r", encoding="utf-8")
    return _socket is not None


def _plain(value):
    """A NumPy or PyTorch value (an attribute an objective sets) as the number or list
    it holds; anything else is not JSON, as in Optuna's own storages."""
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError("Object of type %s is not JSON serializable" % type(value).__name__)


def send(message):
    """Sends one message; knob must be connected."""
    connected()
    _socket.sendall((json.dumps(message, default=_plain) + "\n").encode("utf-8"))


def receive():
    """The next line from knob as a dict; None when knob closed the channel."""
    line = _reader.readline()
    if not line:
        return None
    return json.loads(line)


def request(message, expect):
    """Sends `message` and returns knob's answer of type `expect`; raises KnobError
    when knob refused it, and returns None when knob is gone."""
    send(message)
    answer = receive()
    if answer is None:
        return None
    if answer.get("type") == "error":
        raise KnobError(answer.get("message", "knob refused the message"))
    if answer.get("type") != expect:
        raise KnobError("expected a %s from knob, got %r" % (expect, answer))
    return answer
