"""What writing and evaluating a finished run reads of a fitted ``AutoML`` (see ``_save``).

A protocol, so that ``_save`` needs no import of the facade (which imports ``_save``).
"""

from typing import Any, Protocol

import numpy as np
import pandas as pd

from tunelab.automl._final import FinalModel
from tunelab.entities import DatasetProfile, TaskType, TrialRecord
from tunelab.search import Fold, SearchResult


class FittedRun(Protocol):
    """A fitted ``AutoML``: its results, and the encoded rows and splits it searched on."""

    seed: int
    task_: TaskType
    metric_: str
    target_: str
    profile_: DatasetProfile
    feature_columns_: list[str]
    classes_: np.ndarray
    trials_: list[TrialRecord]
    search_: SearchResult
    final_: FinalModel
    model_: Any
    families_: list[str]
    stop_reason_: str
    n_dropped_missing_target_: int
    split_description_: str
    split_rule_: str
    _X: pd.DataFrame
    _y: np.ndarray
    _test_rows: np.ndarray
    _fit_rows: np.ndarray
    _folds: list[Fold]
    _valid_rows: np.ndarray

    def leaderboard(self) -> pd.DataFrame: ...

    def _features(self, df: pd.DataFrame) -> pd.DataFrame: ...
