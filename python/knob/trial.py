"""An Optuna-compatible trial: the `trial` an Optuna objective receives.

`suggest_float` / `suggest_int` / `suggest_categorical` (and the deprecated
`suggest_uniform`, `suggest_loguniform`, `suggest_discrete_uniform`), `report`,
`should_prune`, `set_user_attr`, `set_system_attr`, `set_constraint` (Optuna 5),
`number`, `params`, `distributions`, `user_attrs`, `system_attrs`, `constraints`,
`datetime_start`, and `study` (what the objective reads of its study: its name,
direction, best trial; study_view.py). Where the process has imported Optuna, a
trial (new_trial) is also an `optuna.trial.Trial`, so that code checking the type
(optuna.artifacts.upload_artifact) takes it; every method it has is knob's.
Also what Optuna's own integrations reach for: `_suggest(name, distribution)` with
an Optuna distribution object (OptunaSearchCV) and `storage.set_trial_system_attr`
(its cross-validation scores), for this trial only. Under knob every
suggestion is asked of knob (define-by-run): a parameter of the study's space
gets the trial's value, any other is drawn by the study's sampler and recorded;
a suggestion that contradicts the space raises KnobError and fails the trial.
Outside knob, suggestions take the given params, else the middle of their range.
"""
import datetime
import decimal
import math
import sys
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


def _as_distribution(distribution):
    """knob's form of a distribution: a dict as it is, an Optuna distribution object
    (FloatDistribution, IntDistribution, CategoricalDistribution and the deprecated
    ones) read by its attributes, without importing Optuna."""
    if isinstance(distribution, dict):
        return distribution
    if hasattr(distribution, "choices"):
        return {"type": "categorical", "choices": list(distribution.choices)}
    kind = type(distribution).__name__
    if not (hasattr(distribution, "low") and hasattr(distribution, "high")):
        raise TypeError("not a distribution: %r" % (distribution,))
    step = getattr(distribution, "step", None) or getattr(distribution, "q", None)
    log = bool(getattr(distribution, "log", False)) or "LogUniform" in kind
    if kind.startswith("Int"):
        return _int_distribution(distribution.low, distribution.high, step or 1, log)
    return _float_distribution(distribution.low, distribution.high, step, log)


def _storable_choice(choice):
    """A categorical choice as storages hold it (see Trial.suggest_categorical)."""
    if choice is None or isinstance(choice, (bool, int, float, str)):
        return choice
    try:
        plain = choice.tolist()  # a NumPy scalar: the number it holds
        if plain is None or isinstance(plain, (bool, int, float, str)):
            return plain
    except Exception:  # noqa: B902: no tolist(), or not one that takes no argument
        pass
    warnings.warn("Choices for a categorical distribution should be a tuple of None, bool, int, float and str for "
                  "persistent storage but contains %s which is of type %s; knob stores its str()."
                  % (choice, type(choice).__name__), UserWarning, stacklevel=4)
    return str(choice)


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
        self._system_attrs = {}
        self._constraints = {}
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
    def system_attrs(self):
        return dict(self._system_attrs)

    @property
    def constraints(self):
        return dict(self._constraints)

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
        """Choices Optuna's storages cannot hold (a class, a function, an object: Optuna
        warns and keeps them in memory) are stored as their str(), and the chosen one is
        handed back itself; NumPy scalars as the number they hold."""
        choices = list(choices)
        stored = [_storable_choice(c) for c in choices]
        value = self._suggest(name, {"type": "categorical", "choices": stored})
        if any(s is not c for s, c in zip(stored, choices)) and value in stored:
            value = choices[stored.index(value)]
            self._params[name] = value
        return value

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
        distribution = _as_distribution(distribution)
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

    def set_system_attr(self, key, value):
        """Deprecated in Optuna, still called (OptunaSearchCV through the storage below);
        knob refuses the keys it writes itself (KnobError)."""
        self._system_attrs[key] = value
        if not self._standalone and _channel.connected():
            _channel.request({"type": "system_attr", "key": str(key), "value": value}, "ok")

    def set_constraint(self, key, value):
        """Optuna 5's: the trial is feasible when every constraint is <= 0. Stored as
        Optuna 5 stores it, the system attribute `constraints:KEY`; a key set before
        keeps its first value, with Optuna's warning."""
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise TypeError("The `value` argument is of type '%s' but supposed to be a float." % type(value)) from None
        if math.isnan(value):
            raise ValueError("Attempted to set a constraint for %r, but NaN is not allowed." % (key,))
        if key in self._constraints:
            warnings.warn("The constraint value is ignored because this constraint `key=%r` is already set." % (key,))
            return
        self._constraints[key] = value
        self.set_system_attr("constraints:%s" % key, value)

    # --- Optuna's private handles, for the integrations that use them
    @property
    def _trial_id(self):
        return self._number

    @property
    def storage(self):
        return _TrialStorage(self)


class _TrialStorage:
    """The part of Optuna's storage an objective reaches through `trial.storage`:
    this trial's attributes, and nothing of other trials."""

    def __init__(self, trial):
        self._trial = trial

    def _check(self, trial_id):
        if trial_id != self._trial._trial_id:
            raise ValueError("under knob an objective may only write its own trial's attributes")

    def set_trial_user_attr(self, trial_id, key, value):
        self._check(trial_id)
        self._trial.set_user_attr(key, value)

    def set_trial_system_attr(self, trial_id, key, value):
        self._check(trial_id)
        self._trial.set_system_attr(key, value)


_optuna_flavoured = None


def new_trial(number, params=None, standalone=False):
    """A Trial for one run of an objective; also an `optuna.trial.Trial` where the
    process has imported Optuna (the class is made then, with knob's Trial first)."""
    global _optuna_flavoured
    base = getattr(sys.modules.get("optuna.trial"), "Trial", None)
    if not isinstance(base, type):
        return Trial(number, params, standalone)
    if _optuna_flavoured is None or _optuna_flavoured.__bases__[1] is not base:
        _optuna_flavoured = type("Trial", (Trial, base), {"__module__": __name__, "__doc__": Trial.__doc__})
    return _optuna_flavoured(number, params, standalone)
