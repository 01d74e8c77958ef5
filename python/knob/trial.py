"""An Optuna-compatible trial: the `trial` an Optuna objective receives.

`suggest_float` / `suggest_int` / `suggest_categorical` (and the deprecated
`suggest_uniform`, `suggest_loguniform`, `suggest_discrete_uniform`), `report`,
`should_prune`, `set_user_attr`, `number`, `params`, `distributions`,
`user_attrs`, `datetime_start`, and `study` (what the objective reads of its
study: its name, direction, best trial; study_view.py). Under knob every
suggestion is asked of knob (define-by-run): a parameter of the study's space
gets the trial's value, any other is drawn by the study's sampler and recorded;
a suggestion that contradicts the space raises KnobError and fails the trial.
Outside knob, suggestions take the given params, else the middle of their range.
"""
import datetime
import decimal
import math
import warnings

from . import _channel
from . import protocol
from .study_view import StudyView


class TrialPruned(Exception):
    """Raise it to end the trial as PRUNED (so does optuna.TrialPruned)."""


def is_pruned(error):
    """True for knob.TrialPruned and optuna.TrialPruned (without importing Optuna)."""
    return any(c.__name__ == "TrialPruned" for c in type(error).__mro__)


def _float_distribution(low, high, step, log):
    if step is not None and log:
        raise ValueError("the parameter `step` is not supported when `log` is true")
    d = {"type": "float", "low": float(low), "high": float(high)}
    if log:
        d["log"] = True
    if step is not None:
        d["step"] = float(step)
        d["high"] = _high_on_a_step(float(low), float(high), step)
    return d


def _int_distribution(low, high, step, log):
    if step != 1 and log:
        raise ValueError("the parameter `step` must be 1 when `log` is true")
    d = {"type": "int", "low": int(low), "high": int(high)}
    if log:
        d["log"] = True
    if step != 1:
        d["step"] = int(step)
        d["high"] = _high_on_a_step(int(low), int(high), int(step))
    return d


def _high_on_a_step(low, high, step):
    """Optuna's rule for a range that a step does not divide: `high` comes down to
    the last step, with a warning (in decimal, so 0.1 steps land exactly)."""
    if not step > 0 or high < low:
        return high  # knob names the problem
    if isinstance(low, int):  # an int distribution's bounds and step
        adjusted = (high - low) // step * step + low
    else:
        d_low, d_high, d_step = (decimal.Decimal(str(v)) for v in (low, high, step))
        if not (d_low.is_finite() and d_high.is_finite() and d_step.is_finite()):
            return high
        adjusted = float((d_high - d_low) // d_step * d_step + d_low)
    if adjusted != high:
        warnings.warn("The distribution is specified by [%s, %s] and step=%s, but the range is not divisible by "
                      "`step`. It will be replaced by [%s, %s]." % (low, high, step, low, adjusted),
                      UserWarning, stacklevel=4)
    return adjusted


def _middle(distribution):
    """The value a suggestion takes outside knob without given params."""
    kind = distribution["type"]
    if kind == "categorical":
        return distribution["choices"][0]
    low, high = distribution["low"], distribution["high"]
    if distribution.get("log"):
        middle = math.exp((math.log(low) + math.log(high)) / 2)
    else:
        middle = (low + high) / 2
    step = distribution.get("step")
    if step:
        middle = low + round((middle - low) / step) * step
        middle = min(middle, low + math.floor((high - low) / step + 1e-9) * step)
    return int(round(middle)) if kind == "int" else float(middle)


def _typed(distribution, value):
    if distribution["type"] == "int":
        return int(value)
    if distribution["type"] == "float":
        return float(value)
    return value


class Trial:
    def __init__(self, number, params=None, standalone=False):
        self._number = number
        self._given = dict(params or {})
        self._standalone = standalone
        self._params = {}
        self._distributions = {}
        self._user_attrs = {}
        self._prune = False
        self._reported_steps = set()
        self._datetime_start = datetime.datetime.now()

    # --- what the trial is
    @property
    def number(self):
        return self._number

    @property
    def params(self):
        return dict(self._params)

    @property
    def distributions(self):
        return dict(self._distributions)

    @property
    def user_attrs(self):
        return dict(self._user_attrs)

    @property
    def datetime_start(self):
        return self._datetime_start

    @property
    def study(self):
        return StudyView(self._standalone)

    # --- suggestions
    def suggest_float(self, name, low, high, *, step=None, log=False):
        return self._suggest(name, _float_distribution(low, high, step, log))

    def suggest_int(self, name, low, high, step=1, log=False):
        return self._suggest(name, _int_distribution(low, high, step, log))

    def suggest_categorical(self, name, choices):
        return self._suggest(name, {"type": "categorical", "choices": list(choices)})

    def suggest_uniform(self, name, low, high):
        warnings.warn("suggest_uniform is deprecated: use suggest_float", FutureWarning, stacklevel=2)
        return self.suggest_float(name, low, high)

    def suggest_loguniform(self, name, low, high):
        warnings.warn("suggest_loguniform is deprecated: use suggest_float(..., log=True)", FutureWarning,
                      stacklevel=2)
        return self.suggest_float(name, low, high, log=True)

    def suggest_discrete_uniform(self, name, low, high, q):
        warnings.warn("suggest_discrete_uniform is deprecated: use suggest_float(..., step=q)", FutureWarning,
                      stacklevel=2)
        return self.suggest_float(name, low, high, step=q)

    def _suggest(self, name, distribution):
        if name in self._params and self._distributions[name] == distribution:
            return self._params[name]
        if self._standalone or not _channel.connected():
            value = self._given[name] if name in self._given else _middle(distribution)
        else:
            answer = _channel.request({"type": "suggest", "name": name, "distribution": distribution}, "param")
            if answer is None:
                raise _channel.KnobError("knob closed the channel")
            value = answer["value"]
        value = _typed(distribution, value)
        self._params[name] = value
        self._distributions[name] = distribution
        return value

    # --- intermediate values and pruning
    def report(self, value, step):
        """Optuna's order and rules: the value (anything float() takes), then the step
        (an int >= 0); a step reported before is ignored with a warning, its first
        value kept."""
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise TypeError("The `value` argument is of type '%s' but supposed to be a float." % type(value)) from None
        try:
            step = int(step)
        except (TypeError, ValueError):
            raise TypeError("The `step` argument is of type '%s' but supposed to be an int." % type(step)) from None
        if step < 0:
            raise ValueError("`step=%d` must be non-negative." % step)
        if step in self._reported_steps:
            warnings.warn("The reported value is ignored because this `step=%d` is already reported." % step)
            return
        self._reported_steps.add(step)
        self._prune = protocol.report(step, value)

    def should_prune(self):
        return self._prune

    # --- attributes
    def set_user_attr(self, key, value):
        self._user_attrs[key] = value
        if not self._standalone and _channel.connected():
            _channel.request({"type": "user_attr", "key": str(key), "value": value}, "ok")
