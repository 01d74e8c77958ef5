"""`trial.study` under knob: what an Optuna objective reads of its study.

Each read asks knob for the study as it is now (protocol 3's study request):
`study_name`, `direction` / `directions`, `user_attrs`, `trials` /
`get_trials(states=...)`, `best_trial`, `best_value`, `best_params` and `best_trials`, with Optuna's errors where Optuna
raises them (no COMPLETE trial yet, a single best of several objectives);
`set_user_attr(key, value)` on the study, and `enqueue_trial(params)`, which queues
a trial in knob's study. A
direction is Optuna's own `StudyDirection` when Optuna is installed, so that
checks such as LightGBMPruningCallback's `trial.study.direction == MAXIMIZE`
hold. Outside knob the study is empty and minimised.
"""
import enum
import os

from . import _channel


class StudyDirection(enum.IntEnum):
    """Optuna's values, for scripts that run without Optuna installed."""
    NOT_SET = 0
    MINIMIZE = 1
    MAXIMIZE = 2


class TrialState(enum.IntEnum):
    """Optuna's values, for scripts that run without Optuna installed."""
    RUNNING = 0
    COMPLETE = 1
    PRUNED = 2
    FAIL = 3
    WAITING = 4


def _state(name):
    try:
        from optuna.trial import TrialState as OptunaState
    except Exception:  # not installed (or broken): knob's copy
        OptunaState = TrialState
    return OptunaState[name]


def _direction(name):
    try:
        from optuna.study import StudyDirection as OptunaDirection
    except Exception:  # not installed (or broken): knob's copy
        OptunaDirection = StudyDirection
    return OptunaDirection.MAXIMIZE if name == "maximize" else OptunaDirection.MINIMIZE


class FrozenTrialView:
    """A trial as the study request gives it: number, state, value(s), params, user_attrs."""

    def __init__(self, fields):
        self.number = fields["number"]
        self.state = _state(fields.get("state", "COMPLETE"))
        self.values = list(fields.get("values") or [])
        self.value = fields.get("value")
        self.params = dict(fields.get("params") or {})
        self.user_attrs = dict(fields.get("user_attrs") or {})

    def __repr__(self):
        return "FrozenTrialView(number=%d, values=%r, params=%r)" % (self.number, self.values, self.params)


class StudyView:
    def __init__(self, standalone):
        self._standalone = standalone

    def _live(self):
        """Under knob, with its channel (not a standalone run)."""
        return not self._standalone and _channel.connected()

    def _read(self, trials=False):
        if not self._live():
            return {"name": os.environ.get("KNOB_STUDY", "standalone"), "directions": ["minimize"],
                    "user_attrs": {}, "best_trials": [], "trials": []}
        answer = _channel.request({"type": "study", "trials": True} if trials else {"type": "study"}, "study")
        if answer is None:
            raise _channel.KnobError("knob closed the channel")
        return answer

    @property
    def study_name(self):
        return self._read()["name"]

    @property
    def directions(self):
        return [_direction(d) for d in self._read()["directions"]]

    @property
    def direction(self):
        directions = self.directions
        if len(directions) > 1:
            raise RuntimeError("A single direction cannot be retrieved from a multi-objective study. Consider "
                               "using Study.directions to retrieve a list containing all directions.")
        return directions[0]

    @property
    def user_attrs(self):
        return dict(self._read()["user_attrs"])

    @property
    def trials(self):
        return self.get_trials()

    def get_trials(self, deepcopy=True, states=None):
        """Every trial of the study as the storage holds it now (the running ones,
        this one included, with the params they have so far), by number."""
        trials = [FrozenTrialView(t) for t in self._read(trials=True).get("trials", [])]
        if states is not None:
            wanted = {int(s) for s in states}
            trials = [t for t in trials if int(t.state) in wanted]
        return trials

    @property
    def best_trials(self):
        return [FrozenTrialView(t) for t in self._read()["best_trials"]]

    @property
    def best_trial(self):
        study = self._read()
        if len(study["directions"]) > 1:
            raise RuntimeError("A single best trial cannot be retrieved from a multi-objective study. Consider "
                               "using Study.best_trials to retrieve a list containing the best trials.")
        if not study["best_trials"]:
            raise ValueError("No trials are completed yet.")
        return FrozenTrialView(study["best_trials"][0])

    def _is_multi_objective(self):  # Optuna's private name; the Trainer's Optuna search calls it
        return len(self._read()["directions"]) > 1

    def set_user_attr(self, key, value):
        """Sets a user attribute of knob's study (under knob; outside it, nothing)."""
        if self._live():
            _channel.request({"type": "user_attr", "key": str(key), "value": value, "study": True}, "ok")

    def enqueue_trial(self, params, user_attrs=None, skip_if_exists=False):
        """Queues a trial with these params (any of the study's) in knob's study,
        unless a trial already has them or is queued with them (under knob every
        enqueue skips those, since each worker runs the same code); outside knob,
        nothing."""
        if self._live():
            _channel.request({"type": "enqueue", "params": dict(params), "user_attrs": dict(user_attrs or {})},
                             "ok")

    @property
    def best_value(self):
        return self.best_trial.value

    @property
    def best_params(self):
        return self.best_trial.params
