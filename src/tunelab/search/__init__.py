"""The search engine: trials in child processes, driven by Optuna ask/tell."""

from tunelab.search._callbacks import CallbackList, SearchCallback
from tunelab.search._fold_fit import fit_fold_model, predict_fold
from tunelab.search._loop import SearchOptions, SearchResult, run_search
from tunelab.search._problem import Fold, SearchProblem, TrialData
from tunelab.search._resampling import resample_training_rows, synthetic_count, synthetic_part
from tunelab.search._samplers import SAMPLERS, make_sampler
from tunelab.search._trial import TrialOutcome, TrialTask, execute_trial, score_prediction

__all__ = [
    "SAMPLERS",
    "CallbackList",
    "Fold",
    "SearchCallback",
    "SearchOptions",
    "SearchProblem",
    "SearchResult",
    "TrialData",
    "TrialOutcome",
    "TrialTask",
    "execute_trial",
    "fit_fold_model",
    "make_sampler",
    "predict_fold",
    "resample_training_rows",
    "run_search",
    "score_prediction",
    "synthetic_count",
    "synthetic_part",
]
