"""Tiny fitted models of every kind tunelab saves: each model family, each preprocessing
option and each ensemble kind, for the bundle trust-list tests."""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Iterator
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
from sklearn.dummy import DummyClassifier, DummyRegressor

from tunelab.ensembling import FoldBag, StackedEnsemble, WeightedEnsemble, fit_stacker
from tunelab.entities import (
    ColumnKind,
    ColumnSettings,
    Encoding,
    FeatureEngineering,
    Imputation,
    OutlierRule,
    PreprocessingSettings,
    Scaling,
    TaskType,
    Transformation,
)
from tunelab.models import MODEL_SPECS, ModelContext
from tunelab.preprocessing import make_model_pipeline

N_ROWS = 150
WORDS = ["red", "blue", "green", "fast", "slow", "cheap", "large", "small"]


def frame(n: int = N_ROWS, seed: int = 0) -> pd.DataFrame:
    """Every column kind, with missing values."""
    rng = np.random.default_rng(seed)
    num = rng.normal(10, 3, n)
    num[rng.random(n) < 0.1] = np.nan
    cat = rng.choice(["a", "b", "c"], n).astype(object)
    cat[rng.random(n) < 0.1] = None
    return pd.DataFrame(
        {
            "num": num,
            "skewed": rng.lognormal(1.0, 1.0, n),
            "pos": rng.uniform(1, 5, n),
            "cat": pd.Series(cat, dtype="str"),
            "flag": rng.choice([True, False], n),
            "when": pd.Series(pd.date_range("2021-01-01", periods=n, freq="37h")),
            "text": [" ".join(rng.choice(WORDS, rng.integers(2, 5))) for _ in range(n)],
        }
    )


def target(df: pd.DataFrame, task: TaskType) -> np.ndarray:
    score = df["num"].fillna(10).to_numpy() - 10 + (df["cat"] == "a").to_numpy() * 3
    if task is TaskType.REGRESSION:
        return score + np.log(df["skewed"].to_numpy())
    edges = np.quantile(score, [0.5] if task is TaskType.BINARY else [1 / 3, 2 / 3])
    return np.digitize(score, edges).astype(np.int64)


KINDS = {
    "num": ColumnKind.NUMERIC,
    "skewed": ColumnKind.NUMERIC,
    "pos": ColumnKind.NUMERIC,
    "cat": ColumnKind.CATEGORICAL,
    "flag": ColumnKind.BOOLEAN,
    "when": ColumnKind.DATETIME,
    "text": ColumnKind.TEXT,
}


def _settings(**columns: ColumnSettings) -> dict[str, ColumnSettings]:
    base = {name: ColumnSettings(kind=kind) for name, kind in KINDS.items()}
    base["num"] = ColumnSettings(imputation=Imputation.MEDIAN)
    for name, col in columns.items():
        base[name] = dataclasses.replace(col, kind=KINDS[name])
    return base


def base_settings() -> PreprocessingSettings:
    return PreprocessingSettings(columns=_settings())


def preprocessing_variants() -> Iterator[PreprocessingSettings]:
    """Settings that together use every imputation, outlier rule, transformation,
    encoding, scaling and feature-engineering option."""
    imputations = [i for i in Imputation if i is not Imputation.NONE]
    transforms = list(Transformation)
    encodings = list(Encoding)
    for i, imputation in enumerate(imputations):
        columns = _settings(
            num=ColumnSettings(
                imputation=imputation,
                outliers=list(OutlierRule)[i % 3],
                transformation=transforms[i % len(transforms)],
            ),
            pos=ColumnSettings(transformation=transforms[(i + 3) % len(transforms)]),
            cat=ColumnSettings(imputation=Imputation.MOST_FREQUENT, encoding=encodings[i % 4]),
        )
        yield PreprocessingSettings(
            columns=columns,
            scaling=list(Scaling)[i % len(Scaling)],
            variance_threshold=0.0 if i % 2 else None,
        )
    for fe in FeatureEngineering:
        yield PreprocessingSettings(columns=_settings(), feature_engineering=(fe,))


# few trees or rounds: the types saved are the same, the files much smaller
_SMALL = {"n_estimators": 3, "iterations": 3, "max_iter": 5}


def _fit(spec: Any, settings: PreprocessingSettings, task: TaskType, X: Any, y: Any) -> Any:
    n_classes = len(np.unique(y)) if task.is_classification else 0
    ctx = ModelContext(task, len(X), X.shape[1], n_classes)
    params = {k: _SMALL.get(k, v) for k, v in spec.cheap_params(ctx).items()}
    estimator = spec.make(params, ctx)
    model = make_model_pipeline(settings, estimator, task=task, flavor=spec.flavor)
    return model.fit(X, y, fit_estimator=partial(spec.fit))


def family_models(task: TaskType) -> list[Any]:
    """One fitted model per model family of ``task`` (base preprocessing)."""
    X = frame()
    y = target(X, task)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [
            _fit(spec, base_settings(), task, X, y) for spec in MODEL_SPECS if task in spec.tasks
        ]


def preprocessing_models(task: TaskType) -> list[Any]:
    """A model for each preprocessing variant, alternating the linear and tree flavors."""
    from tunelab.models import get_model_spec

    X = frame()
    y = target(X, task)
    linear = get_model_spec("ridge" if task is TaskType.REGRESSION else "logistic_regression")
    tree = get_model_spec("decision_tree")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [
            _fit(linear if i % 2 == 0 else tree, settings, task, X, y)
            for i, settings in enumerate(preprocessing_variants())
        ]


def ensembles(task: TaskType) -> dict[str, Any]:
    """Every final-model kind tunelab saves: a single fold bag (holding every family and
    preprocessing variant), a weighted ensemble, a stacked ensemble and the constant model."""
    X = frame()
    y = target(X, task)
    n_classes = len(np.unique(y)) if task.is_classification else 0
    everything = FoldBag([*family_models(task), *preprocessing_models(task)], n_classes).fit()
    small = [FoldBag([m], n_classes).fit() for m in everything.estimators[:2]]
    oof = [b.predict_proba(X) if n_classes else b.predict_values(X) for b in small]
    dummy = DummyClassifier(strategy="prior") if n_classes else DummyRegressor()
    dummy.fit(np.zeros((len(y), 1)), y)
    return {
        "single": everything,
        "weighted": WeightedEnsemble(small, [0.5, 0.5], n_classes=n_classes).fit(),
        "stacked": StackedEnsemble(
            small, fit_stacker(oof, y, n_classes=n_classes), n_classes=n_classes
        ).fit(),
        "constant": FoldBag([dummy], n_classes=n_classes).fit(),
    }
