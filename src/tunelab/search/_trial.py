"""One trial: fit a configuration on every fold and predict the held-out rows.

This module runs wherever an executor runs the trial (see ``_pool``), and can also be called
in-process (tests, debugging). It returns the fitted fold models, so that the best trials
become the final model without any refit.
"""

import pickle
import time
import traceback
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tunelab.entities import TaskType, TrialStatus
from tunelab.evaluation import get_metric
from tunelab.search._fold_fit import fit_fold_model, predict_fold
from tunelab.search._problem import SearchProblem, TrialData
from tunelab.search._resampling import resample_training_rows


@dataclass(frozen=True)
class TrialTask:
    """A configuration to evaluate."""

    number: int
    family: str
    params: dict[str, Any]
    source: str = "search"  # baseline | default | portfolio | search
    optuna_trial: int | None = None
    deadline: float | None = None  # time.monotonic() instant the trial is killed at
    prune_thresholds: tuple[float, ...] = ()  # see ``pruning_thresholds``
    # signed score a finished trial must beat to enter the search's kept trials (None: any
    # finished trial enters); below it the trial sends back no fold models nor out-of-fold
    # predictions, which the parent would drop at once (see ``drop_unkeepable``)
    keep_above: float | None = None


@dataclass
class TrialOutcome:
    """What a trial produced. ``oof`` is aligned with ``TrialData.valid_rows``."""

    task: TrialTask
    status: TrialStatus
    fold_scores: list[float] = field(default_factory=list)
    oof: np.ndarray | None = None
    models: list[Any] | None = None
    fit_time: float = 0.0
    predict_time: float = 0.0
    reason: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    host: str = ""  # where the trial ran (set by the executor's side of the search)
    node_id: str = ""  # the executor's node id ("local" for local processes)

    @property
    def score(self) -> float | None:
        finite = [s for s in self.fold_scores if np.isfinite(s)]
        return float(np.mean(finite)) if finite and self.status is TrialStatus.OK else None

    @property
    def score_std(self) -> float | None:
        finite = [s for s in self.fold_scores if np.isfinite(s)]
        return float(np.std(finite)) if finite and self.status is TrialStatus.OK else None


def score_prediction(
    metric_name: str, task: TaskType, y_true: np.ndarray, pred: np.ndarray
) -> float:
    """Score predictions (probabilities for classification, values for regression)."""
    metric = get_metric(metric_name, task)
    try:
        if task.is_classification:
            return float(metric.score(y_true, proba=pred))
        return float(metric.score(y_true, y_pred=pred))
    except ValueError:
        return float("nan")  # e.g. ROC AUC on a fold holding one class


def fold_deadline(trial_deadline: float | None, folds_left: int) -> float | None:
    """When the current fold should stop boosting: an equal share of the time left, minus a
    margin for predicting the fold and sending the fitted models back to the parent before
    the trial is killed (both grow with the model: a quarter of the time left, plus 1 s)."""
    if trial_deadline is None:
        return None
    now = time.monotonic()
    left = trial_deadline - now
    return now + max(0.0, 0.75 * left - 1.0) / max(1, folds_left)


def running_means(signed_scores: list[float]) -> list[float]:
    """Mean of the first k+1 fold scores, for every k."""
    values = np.asarray(signed_scores, dtype=np.float64)
    return list(np.cumsum(values) / np.arange(1, len(values) + 1))


def _should_prune(
    fold_scores: list[float], thresholds: tuple[float, ...], problem: SearchProblem, n_folds: int
) -> bool:
    """After the second fold (and before the last), stop a trial below the median."""
    k = len(fold_scores) - 1
    if k < 1 or k >= n_folds - 1 or k >= len(thresholds) or not np.isfinite(fold_scores).all():
        return False
    metric = get_metric(problem.metric, problem.task)
    signed = [metric.signed(s) for s in fold_scores]
    return running_means(signed)[k] < thresholds[k]


def execute_trial(
    task: TrialTask,
    data: TrialData,
    problem: SearchProblem,
) -> TrialOutcome:
    """Fit ``task`` on every fold of ``data`` and collect out-of-fold predictions."""
    X, y = data.X, data.y
    n_cols = max(problem.n_classes, 1)
    oof_sum = np.zeros((data.n_rows, n_cols), dtype=np.float64)
    oof_count = np.zeros(data.n_rows, dtype=np.int64)
    outcome = TrialOutcome(task=task, status=TrialStatus.OK, models=[])
    n_folds = len(data.folds)
    for fold_number, (train, valid) in enumerate(data.folds):
        X_train, y_train = resample_training_rows(
            X.iloc[train],
            y[train],
            problem.sampling,
            problem.task,
            seed=problem.seed + fold_number,
            n_rows=data.n_rows,
        )
        X_valid, y_valid = X.iloc[valid], y[valid]
        started = time.perf_counter()
        model, details = fit_fold_model(
            task.family,
            task.params,
            problem,
            X_train,
            y_train,
            X_valid,
            y_valid,
            deadline=fold_deadline(task.deadline, n_folds - fold_number),
        )
        outcome.fit_time += time.perf_counter() - started
        started = time.perf_counter()
        pred = predict_fold(model, X_valid, problem)
        outcome.predict_time += time.perf_counter() - started
        outcome.fold_scores.append(score_prediction(problem.metric, problem.task, y_valid, pred))
        oof_sum[valid] += pred if pred.ndim == 2 else pred[:, None]
        oof_count[valid] += 1
        assert outcome.models is not None
        outcome.models.append(model)
        for key, value in details.items():
            outcome.details.setdefault(key, []).append(value)
        if _should_prune(outcome.fold_scores, task.prune_thresholds, problem, n_folds):
            outcome.status = TrialStatus.PRUNED
            outcome.reason = (
                f"pruned after fold {fold_number + 1} of {n_folds}: mean score below the median "
                "of finished trials on the same folds"
            )
            outcome.models, outcome.oof = None, None
            return outcome
    # the models' pickled size: what keeping, sending and saving them costs (the planner of
    # the phases after the search predicts writing the bundle from it)
    outcome.details["model_bytes"] = len(pickle.dumps(outcome.models, protocol=5))
    rows = data.valid_rows
    oof = oof_sum[rows] / oof_count[rows, None]
    outcome.oof = oof if problem.n_classes else oof[:, 0]
    if not any(np.isfinite(s) for s in outcome.fold_scores):
        outcome.status = TrialStatus.FAILED
        outcome.reason = "the metric could not be computed on any fold"
    return drop_unkeepable(outcome, problem)


def drop_unkeepable(outcome: TrialOutcome, problem: SearchProblem) -> TrialOutcome:
    """Forget the fold models and out-of-fold predictions of a trial whose score cannot
    enter the kept trials (``task.keep_above``): they are what costs memory and transfer
    time, and the search keeps only its best trials' (``details["not_kept"]`` says so)."""
    threshold, score = outcome.task.keep_above, outcome.score
    if threshold is None or score is None or outcome.oof is None:
        return outcome
    if get_metric(problem.metric, problem.task).signed(score) <= threshold:
        outcome.models, outcome.oof = None, None
        outcome.details["not_kept"] = True
    return outcome


def run_trial(task: TrialTask, data: TrialData, problem: SearchProblem) -> TrialOutcome:
    """The function an executor runs for a trial: ``execute_trial``, any error a FAILED
    outcome naming it (so only a killed or dead trial has no outcome)."""
    try:
        return execute_trial(task, data, problem)
    except BaseException as error:
        return failed_outcome(task, error)


def failed_outcome(task: TrialTask, error: BaseException) -> TrialOutcome:
    """A FAILED outcome whose reason names the error (last frame included)."""
    frames = traceback.extract_tb(error.__traceback__)
    where = f" (at {frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno})" if frames else ""
    return TrialOutcome(
        task=task, status=TrialStatus.FAILED, reason=f"{type(error).__name__}: {error}{where}"
    )
