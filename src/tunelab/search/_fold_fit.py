"""Fit one configuration on one fold: preprocessing + model as one TabularModel."""

from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from tunelab.models import ModelContext, ModelSpec, get_model_spec
from tunelab.preprocessing import TabularModel, make_model_pipeline
from tunelab.search._problem import SearchProblem


def _smote_then_fit(
    spec: ModelSpec,
    seed: int,
    deadline: float | None,
    estimator: Any,
    Xt: np.ndarray,
    y: np.ndarray,
    Xv: np.ndarray | None,
    yv: np.ndarray | None,
) -> Any:
    """Oversample minority classes of the preprocessed training matrix with SMOTE, then fit.

    SMOTE interpolates between neighbours, so missing values are filled with column medians
    first (only in the synthetic-sample computation; validation data is untouched).
    """
    from imblearn.over_sampling import SMOTE

    Xt = np.asarray(Xt, dtype=np.float64)
    if np.isnan(Xt).any():
        medians = np.nan_to_num(np.nanmedian(Xt, axis=0))
        Xt = np.where(np.isnan(Xt), medians, Xt)
    smallest = int(np.unique(y, return_counts=True)[1].min())
    if smallest >= 2:
        sampler = SMOTE(k_neighbors=min(5, smallest - 1), random_state=seed)
        Xt, y = sampler.fit_resample(Xt, y)
    return spec.fit(estimator, Xt, y, Xv, yv, deadline=deadline)


def fit_fold_model(
    family: str,
    params: dict[str, Any],
    problem: SearchProblem,
    X_train: pd.DataFrame,
    y_train: np.ndarray,
    X_valid: pd.DataFrame | None,
    y_valid: np.ndarray | None,
    *,
    deadline: float | None = None,
) -> tuple[TabularModel, dict[str, Any]]:
    """Fit ``family`` with ``params``; the validation rows serve early stopping only."""
    spec = get_model_spec(family)
    ctx = ModelContext(
        task=problem.task,
        n_rows=len(X_train),
        n_features=max(1, X_train.shape[1]),
        n_classes=problem.n_classes,
        n_jobs=problem.threads_per_trial,
        random_state=problem.seed,
    )
    pipeline = make_model_pipeline(
        problem.settings, spec.make(params, ctx), task=problem.task, flavor=spec.flavor
    )
    fit: Any = partial(spec.fit, deadline=deadline)
    if problem.sampling is not None and problem.sampling.smote and problem.task.is_classification:
        fit = partial(_smote_then_fit, spec, problem.seed, deadline)
    pipeline.fit(X_train, y_train, eval_frame=X_valid, eval_target=y_valid, fit_estimator=fit)
    details = {
        "best_iteration": spec.best_iteration(pipeline.estimator_),
        "rows_dropped": pipeline.n_rows_dropped_,
    }
    return pipeline, details


def predict_fold(model: Any, X: pd.DataFrame, problem: SearchProblem) -> np.ndarray:
    """Probabilities in the 0..k-1 layout (classification) or float values (regression)."""
    if not problem.n_classes:
        return np.asarray(model.predict(X), dtype=np.float64)
    proba = np.asarray(model.predict_proba(X), dtype=np.float64)
    if proba.shape[1] == problem.n_classes:
        return proba
    full = np.zeros((len(X), problem.n_classes))
    full[:, np.asarray(model.classes_, dtype=np.int64)] = proba
    return full
