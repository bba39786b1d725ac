"""What a search works on: the encoded training data, its folds and the fixed settings."""

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from tunelab.entities import PreprocessingSettings, SamplingConfig, TaskType

Fold = tuple[np.ndarray, np.ndarray]


@dataclass(frozen=True)
class SearchProblem:
    """Fixed settings shared by every trial of one search."""

    task: TaskType
    metric: str
    n_classes: int  # 0 for regression
    settings: PreprocessingSettings
    sampling: SamplingConfig | None = None
    seed: int = 0
    threads_per_trial: int = 1


@dataclass(frozen=True, eq=False)
class TrialData:
    """Training rows (test part excluded), encoded target and CV folds (positions in X).

    Trials run in forked children, which share this data with the parent copy-on-write.
    """

    X: pd.DataFrame = field(repr=False)
    y: np.ndarray = field(repr=False)
    folds: tuple[Fold, ...] = field(repr=False)

    @property
    def n_rows(self) -> int:
        return len(self.X)

    @property
    def n_features(self) -> int:
        return int(self.X.shape[1])

    @property
    def valid_rows(self) -> np.ndarray:
        """Rows that get an out-of-fold prediction (sorted)."""
        return np.unique(np.concatenate([valid for _, valid in self.folds]))
