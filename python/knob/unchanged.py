"""An Optuna or Hugging Face search script as a knob trainer with no line changed.

    trainer:
      command: [python3, -m, knob, search.py, --its, --own, --args]

`python3 -m knob SCRIPT ARGS...` runs SCRIPT as `python3 SCRIPT ARGS...` would
(`python3 -m knob -m PACKAGE.MODULE ARGS...` as `python3 -m PACKAGE.MODULE ARGS...`),
with calls taken over under `knob run`: `Study.optimize(objective, ...)`
serves `objective` to knob (as `knob.serve(objective)` does),
`Study.enqueue_trial(params, ...)` queues the params in knob's study (once: every
worker runs the script, so params a trial already has are skipped, as with
`skip_if_exists=True`), `Study.ask()` / `Study.tell(trial, value)` (a loop of
Optuna's ask-and-tell interface) get and end knob's trials one at a time, the
process ending at the ask after knob's last, and `Trainer.hyperparameter_search(...)`
is `knob.hf.hyperparameter_search(trainer, ...)`. Each ends the process when knob
is done, so what the script does after it (print the best trial) does not run
(after an ask-and-tell loop shorter than knob's budget it does); the study file decides budget,
parallelism and sampler (`n_trials`, `n_jobs`, `timeout`, `callbacks` are not
used). The script's study direction must agree with the study file's: a trial
that finds them different FAILs naming both. Outside knob nothing is taken over.

The calls are replaced when their modules are first imported (an import hook),
so a script that never imports transformers does not pay for importing it.
"""
import atexit
import importlib.abc
import importlib.util
import os
import runpy
import sys

from . import _channel
from .serve import values_of, check_directions, send_failure, send_pruned, send_values, serve, worker
from .study_view import StudyView
from .trial import new_trial


def _optimize(study, func, *args, **kwargs):
    """Study.optimize under knob: `func` served, with the study's direction checked."""
    wanted = [d.name.lower() for d in study.directions]

    def objective(trial):
        check_directions(trial, wanted, "the script's study")
        return func(trial)

    serve(objective)


_asked = None  # the trial a script's ask handed out and its tell has not ended


def _ask(study, fixed_distributions=None):
    """Study.ask under knob: knob's next trial for this process; none left ends it."""
    global _asked
    if _asked is not None:
        raise RuntimeError("under knob a process runs one trial at a time: tell trial %d before the next ask"
                           % _asked.number)
    if not worker().started:
        atexit.register(_leave_between_trials)
    task = worker().next_task()
    if task is None:
        sys.exit(0)
    trial = new_trial(task["number"], task["params"])
    _asked = trial
    check_directions(trial, [d.name.lower() for d in study.directions], "the script's study")
    for name, distribution in (fixed_distributions or {}).items():
        trial._suggest(name, distribution)
    return trial


def _leave_between_trials():
    """At exit: a script whose ask-and-tell loop ended takes no more trials."""
    if _asked is None:
        worker().leave()


def _tell(study, trial, values=None, state=None, skip_if_finished=False):
    """Study.tell under knob: ends the trial ask handed out, as Optuna would end it."""
    global _asked
    number = trial if isinstance(trial, int) else getattr(trial, "number", None)
    if _asked is None or number != _asked.number:
        if skip_if_finished:
            return None
        raise ValueError("under knob a script tells the trial its last ask handed out (%s), not %r"
                         % ("none" if _asked is None else _asked.number, number))
    _asked = None
    state = getattr(state, "name", state)
    if state == "PRUNED":
        send_pruned()
    elif state == "FAIL":
        send_failure("the script told the trial FAIL")
    else:
        try:
            send_values(values_of(values))
        except ValueError as error:  # Optuna fails the trial with a warning
            send_failure("ValueError: %s" % error)
    worker().trial_ended()
    return None


def _enqueue_trial(study, params, user_attrs=None, skip_if_exists=False):
    """Study.enqueue_trial under knob: queued in knob's study, once."""
    StudyView(standalone=False).enqueue_trial(params, user_attrs)


def _hyperparameter_search(trainer, *args, **kwargs):
    from . import hf
    return hf.hyperparameter_search(trainer, *args, **kwargs)


def _patch_optuna(module):
    module.Study.optimize = _optimize
    module.Study.enqueue_trial = _enqueue_trial
    module.Study.ask = _ask
    module.Study.tell = _tell


def _patch_transformers(module):
    module.Trainer.hyperparameter_search = _hyperparameter_search


PATCHES = {"optuna.study.study": _patch_optuna, "transformers.trainer": _patch_transformers}


class _PatchOnImport(importlib.abc.MetaPathFinder):
    """Finds the modules of PATCHES as the other finders do, and patches each once loaded."""

    def find_spec(self, name, path, target=None):
        patch = PATCHES.get(name)
        if patch is None:
            return None
        spec = None
        for finder in sys.meta_path:
            if finder is not self and hasattr(finder, "find_spec"):
                spec = finder.find_spec(name, path, target)
                if spec is not None:
                    break
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        real = spec.loader

        class Loader(importlib.abc.Loader):
            def create_module(self, spec):
                return real.create_module(spec)

            def exec_module(self, module):
                real.exec_module(module)
                patch(module)

        spec.loader = Loader()
        return spec


def _module_exists(name):
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # a missing parent package, an empty name
        return False


def run(argv):
    """`python3 -m knob [-m] SCRIPT ARGS...`: runs SCRIPT as __main__, taken over under knob."""
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if argv else 2
    as_module = argv[0] == "-m"
    if as_module:
        argv = argv[1:]
        if not argv or not _module_exists(argv[0]):
            print("knob: no module %r" % (argv[0] if argv else ""), file=sys.stderr)
            return 2
    elif not os.path.isfile(argv[0]):
        print("knob: no script %r" % argv[0], file=sys.stderr)
        return 2
    if _channel.under_knob():
        for name, patch in PATCHES.items():
            if name in sys.modules:
                patch(sys.modules[name])
        sys.meta_path.insert(0, _PatchOnImport())
    sys.argv = list(argv)
    if as_module:
        sys.path[0] = os.getcwd()  # as `python3 -m` puts it
        runpy.run_module(argv[0], run_name="__main__", alter_sys=True)
    else:
        sys.path[0] = os.path.dirname(os.path.abspath(argv[0]))
        runpy.run_path(argv[0], run_name="__main__")
    return 0
