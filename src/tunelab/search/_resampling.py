"""Row sampling of a training fold: class balancing (SMOTE is applied after preprocessing)."""

import numpy as np
import pandas as pd

from tunelab.entities import ConfigError, SamplingConfig, TaskType


def balance_target_count(y: np.ndarray, balance_to: str) -> int:
    """The per-class row count that ``balance_to`` asks for on encoded labels ``y``."""
    labels, counts = np.unique(y, return_counts=True)
    if balance_to == "minority":
        return int(counts.min())
    if balance_to == "majority":
        return int(counts.max())
    try:
        return int(counts[list(labels).index(int(balance_to))])
    except (ValueError, IndexError):
        raise ConfigError(
            f"sampling.balance_to={balance_to!r}: expected 'minority', 'majority' or an "
            "encoded class present in the training data"
        ) from None


def resample_training_rows(
    X: pd.DataFrame,
    y: np.ndarray,
    sampling: SamplingConfig | None,
    task: TaskType,
    *,
    seed: int,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Balance classes of a training fold: each class is resampled to one count.

    Classes above the count are undersampled without replacement, classes below it are
    oversampled with replacement. Validation rows are never touched.
    """
    if sampling is None or sampling.balance_to is None or not task.is_classification:
        return X, y
    target = balance_target_count(y, sampling.balance_to)
    rng = np.random.default_rng(seed)
    picks = []
    for label in np.unique(y):
        rows = np.flatnonzero(y == label)
        replace = len(rows) < target
        picks.append(rng.choice(rows, size=target, replace=replace))
    order = rng.permutation(np.concatenate(picks))
    return X.iloc[order], y[order]
