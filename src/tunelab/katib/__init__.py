"""Katib v1beta1 experiments run locally (no Kubernetes), and ``tune`` for Python code.

Public API: :func:`load_experiment`, :func:`run_experiment`, :func:`tune`,
:func:`export_katib`, the ``search`` helpers and the result types.
"""

from tunelab.katib import search
from tunelab.katib.api import TuneResult, tune
from tunelab.katib.experiment import DEFAULT_TRIAL_TIMEOUT, run_experiment
from tunelab.katib.export import experiment_document, export_katib
from tunelab.katib.parse import load_experiment, parse_experiment
from tunelab.katib.results import Condition, ExperimentResult, OptimalTrial, TrialResult
from tunelab.katib.spec import ExperimentSpec, KatibSpecError

__all__ = [
    "DEFAULT_TRIAL_TIMEOUT",
    "Condition",
    "ExperimentResult",
    "ExperimentSpec",
    "KatibSpecError",
    "OptimalTrial",
    "TrialResult",
    "TuneResult",
    "experiment_document",
    "export_katib",
    "load_experiment",
    "parse_experiment",
    "run_experiment",
    "search",
    "tune",
]
