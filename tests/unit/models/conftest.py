"""Small synthetic data sets and fitted cheap models shared by the models tests."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning

from tunelab.entities import TaskType
from tunelab.models import MODEL_SPECS, ModelContext, ModelSpec

N_ROWS = 500
N_TRAIN = 400
N_FEATURES = 8


@dataclass(frozen=True)
class Dataset:
    task: TaskType
    X: np.ndarray  # float32, with NaN in column 2 (only given to "tree" flavors)
    y: np.ndarray

    @property
    def n_classes(self) -> int:
        return len(np.unique(self.y)) if self.task.is_classification else 0

    def ctx(self, n_rows: int = N_TRAIN) -> ModelContext:
        return ModelContext(self.task, n_rows, self.X.shape[1], self.n_classes)

    def for_flavor(self, flavor: str) -> np.ndarray:
        if flavor == "tree":
            return self.X
        return np.nan_to_num(self.X, nan=0.0)

    def split(self, flavor: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        X = self.for_flavor(flavor)
        return X[:N_TRAIN], self.y[:N_TRAIN], X[N_TRAIN:], self.y[N_TRAIN:]


def _with_nan(X: np.ndarray) -> np.ndarray:
    X = X.astype(np.float32)
    X[::7, 2] = np.nan
    return X


def make_datasets(seed: int = 0) -> dict[TaskType, Dataset]:
    Xb, yb = make_classification(
        N_ROWS, N_FEATURES, n_informative=4, flip_y=0.05, random_state=seed
    )
    Xm, ym = make_classification(
        N_ROWS, N_FEATURES, n_informative=5, n_classes=3, random_state=seed
    )
    Xr, yr = make_regression(N_ROWS, N_FEATURES, n_informative=5, noise=10.0, random_state=seed)
    return {
        TaskType.BINARY: Dataset(TaskType.BINARY, _with_nan(Xb), yb.astype(np.int64)),
        TaskType.MULTICLASS: Dataset(TaskType.MULTICLASS, _with_nan(Xm), ym.astype(np.int64)),
        # An offset and a scale far from 0/1, as real targets have.
        TaskType.REGRESSION: Dataset(TaskType.REGRESSION, _with_nan(Xr), yr * 50.0 + 3000.0),
    }


DATASETS = make_datasets()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests taking ``spec`` and ``task`` run once per supported (family, task) pair."""
    if {"spec", "task"} <= set(metafunc.fixturenames):
        metafunc.parametrize(
            ("spec", "task"),
            [(s, t) for s in MODEL_SPECS for t in TaskType if t in s.tasks],
            ids=[f"{s.name}-{t.value}" for s in MODEL_SPECS for t in TaskType if t in s.tasks],
        )


@pytest.fixture(scope="session")
def datasets() -> dict[TaskType, Dataset]:
    return DATASETS


@dataclass(frozen=True)
class Fitted:
    spec: ModelSpec
    data: Dataset
    estimator: Any


@pytest.fixture(scope="session")
def fitted_cheap() -> dict[tuple[str, TaskType], Fitted]:
    """Every (family, task) fitted once with its cheap params and early-stopping validation."""
    out: dict[tuple[str, TaskType], Fitted] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # cheap = few iterations
        for spec in MODEL_SPECS:
            _fit_all_tasks(spec, out)
    return out


def _fit_all_tasks(spec: ModelSpec, out: dict[tuple[str, TaskType], Fitted]) -> None:
    for task in spec.tasks:
        data = DATASETS[task]
        X, y, Xv, yv = data.split(spec.flavor)
        est = spec.make(spec.cheap_params(data.ctx()), data.ctx())
        out[spec.name, task] = Fitted(spec, data, spec.fit(est, X, y, Xv, yv))
