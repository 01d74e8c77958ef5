"""knob.serve(objective): an Optuna objective as a knob trainer, unchanged.

    if __name__ == "__main__":
        knob.serve(objective)          # first line of the script's main block

Under `knob run` it runs knob's trials: the first from its environment, then,
when the study lets workers serve many trials (trainer.reuse, the default), the
next ones over the channel, so imports and data loading are paid once per slot.
Each trial writes to its own log and runs in its working folder. A returned
value (or a tuple of them, one per objective) is the trial's result; raising TrialPruned (knob's or Optuna's) prunes it;
any other exception FAILs it with its message, and a serving worker goes on.
Outside knob it runs the objective once, with `--params JSON` (or @file) from
the command line, else each suggestion's middle, and prints the value.
Like unittest.main(), it exits the process when done (exit=False returns).
"""
import json
import math
import os
import sys
import time
import traceback

from . import _channel
from . import protocol
from .trial import is_pruned, new_trial


def check_directions(trial, wanted, who):
    """Raises ValueError (the trial FAILs naming both) when `wanted`, the directions a
    script says (["minimize"], ...), are not the study file's."""
    given = [d.name.lower() for d in trial.study.directions]
    if list(wanted) != given:
        raise ValueError("%s says direction %s, the study file %s" % (who, list(wanted), given))


def _given_params(argv):
    for i, arg in enumerate(argv):
        text = None
        if arg == "--params" and i + 1 < len(argv):
            text = argv[i + 1]
        elif arg.startswith("--params="):
            text = arg[len("--params="):]
        if text is not None:
            if text.startswith("@"):
                with open(text[1:]) as f:
                    text = f.read()
            params = json.loads(text)
            if not isinstance(params, dict):
                raise SystemExit("--params: expected a JSON object, got " + text)
            return params
    return {}


def values_of(returned):
    """The objective's value(s) as a list of floats: a number, or a tuple/list of
    them (Optuna's return for several objectives)."""
    items = list(returned) if isinstance(returned, (list, tuple)) else [returned]
    try:
        values = [float(v) for v in items]
    except (TypeError, ValueError):
        values = []
    if not values:
        raise ValueError("the objective returned %r, not a number or a tuple of numbers" % (returned,))
    return values


def send_values(values):
    """Ends the trial with its value(s); returns "complete", or "fail" for a NaN."""
    message = {"type": "result", "value": values[0]}
    if len(values) > 1:
        message["values"] = values
    _channel.send(message)
    return "fail" if any(math.isnan(v) for v in values) else "complete"


def send_pruned():
    _channel.send({"type": "result", "pruned": True})
    return "pruned"


def send_failure(reason):
    protocol.fail(reason)
    return "fail"


def _run_trial(objective, trial):
    """Runs one trial and sends its end; returns "complete", "pruned" or "fail"."""
    try:
        values = values_of(objective(trial))
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as error:  # noqa: B902: the trial's failure, never the worker's
        if is_pruned(error):
            return send_pruned()
        traceback.print_exc()
        sys.stderr.flush()
        return send_failure("%s: %s" % (type(error).__name__, error))
    return send_values(values)


def _flush_output():
    """Flushes stdout and stderr; one an objective closed (or whose descriptor it
    closed) is opened again on its descriptor, so the next trial can write."""
    for name, fd in (("stdout", 1), ("stderr", 2)):
        stream = getattr(sys, name)
        try:
            stream.flush()
            continue
        except (ValueError, OSError):
            pass
        try:
            os.fstat(fd)
        except OSError:
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, fd)
            os.close(null)
        setattr(sys, name, open(fd, "w", buffering=1, closefd=False))


def _switch_to(task):
    """Makes this process look like a fresh trainer of `task`: its log, folder and environment."""
    _flush_output()
    if task.get("log"):
        fd = os.open(task["log"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.close(fd)
    if task.get("working_dir"):
        os.chdir(task["working_dir"])
    os.environ["KNOB_TRIAL_NUMBER"] = str(task["number"])
    os.environ["KNOB_TRIAL_DIR"] = task["trial_dir"]
    os.environ["KNOB_PARAMS"] = json.dumps(task["params"])
    os.environ["KNOB_PARAMS_FILE"] = os.path.join(task["trial_dir"], "params.json")
    os.environ["KNOB_RESUME_DIR"] = task.get("resume_dir") or ""


def _next_task():
    """Waits for knob's next trial; None when knob closes the channel."""
    while True:
        message = _channel.receive()
        if message is None:
            return None
        if message.get("type") == "trial":
            return message
        sys.stderr.write("knob: between trials, knob said %r\n" % (message,))


class Worker:
    """This process as knob's trainer: its trials one after another, the first from
    its environment, the next ones over the channel when it serves many (trainer.reuse)."""

    def __init__(self):
        self.serves = os.environ.get("KNOB_REUSE") == "1"
        self.started = False
        self._ended = None  # when its last trial ended (monotonic)

    def next_task(self):
        """The next trial's {"number", "params", ...}, this process made its trainer
        (log, folder, environment); None when this process is to take no more."""
        if not self.started:
            self.started = True
            # prunes_itself: as in Optuna, a prune decision is what should_prune()
            # answers, and the trial is PRUNED only if the objective raises TrialPruned.
            _channel.send({"type": "hello", "protocol": _channel.PROTOCOL, "serves": self.serves,
                           "prunes_itself": True})
            return {"number": int(os.environ.get("KNOB_TRIAL_NUMBER", "0")), "params": protocol.params()}
        if not self.serves:
            return None
        task = _next_task()
        if task is not None:
            _switch_to(task)
            print("knob: trial %d began %.2f ms after this worker's last trial ended"
                  % (task["number"], (time.monotonic() - self._ended) * 1000), file=sys.stderr, flush=True)
        return task

    def trial_ended(self):
        _flush_output()
        self._ended = time.monotonic()

    def leave(self):
        """Tells knob this process takes no more trials (a trial sent to it meanwhile
        starts in a fresh process); for a script that ends between its trials."""
        if self.started and self.serves:
            self.serves = False
            try:
                _channel.send({"type": "hello", "protocol": _channel.PROTOCOL, "serves": False,
                               "prunes_itself": True})
            except OSError:  # knob is gone
                pass


_worker = None


def worker():
    """The one Worker of this process (knob.serve and a script's ask and tell share it)."""
    global _worker
    if _worker is None:
        _worker = Worker()
    return _worker


def _serve(objective):
    state = None
    task = worker().next_task()
    while task is not None:
        state = _run_trial(objective, new_trial(task["number"], task["params"]))
        worker().trial_ended()
        task = worker().next_task()
    return 1 if state == "fail" and not worker().serves else 0


def _standalone(objective):
    trial = new_trial(0, _given_params(sys.argv[1:]), standalone=True)
    try:
        values = values_of(objective(trial))
    except BaseException as error:
        if not is_pruned(error):
            raise
        print("pruned; params %s" % json.dumps(trial.params, default=str))
        return 0
    shown = values[0] if len(values) == 1 else tuple(values)
    print("value %r; params %s" % (shown, json.dumps(trial.params, default=str)))
    return 0


def serve(objective, exit=True):
    """Runs `objective(trial)` for knob (see the module's text); exits unless exit=False."""
    code = _serve(objective) if _channel.under_knob() else _standalone(objective)
    if exit:
        sys.exit(code)
    return code
