"""Row sampling of a training fold: class balancing and synthetic rows (SMOTE is applied
after preprocessing)."""

from typing import Any

import numpy as np
import pandas as pd

from tunelab.entities import ConfigError, SamplingConfig, TaskType
from tunelab.synthetic import synthesize_rows


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


def synthetic_count(
    sampling: SamplingConfig | None, n_part: int, n_rows: int, n_have: int | None = None
) -> int:
    """How many synthetic rows a training part of ``n_part`` real rows gets.

    A ``sampling.size`` above the ``n_rows`` training rows asks each part for
    ``size * n_part / n_rows`` rows in all (so the refit on all ``n_rows`` rows gets
    ``size``), of which it has ``n_have`` (default ``n_part``; fewer or more after
    balancing). 0 when the size does not exceed the rows or the synthesizer is "none".
    """
    if sampling is None or sampling.size is None or sampling.synthesizer == "none":
        return 0
    if n_rows <= 0 or sampling.size <= n_rows:
        return 0
    have = n_part if n_have is None else n_have
    return max(0, round(sampling.size * n_part / n_rows) - have)


def resample_training_rows(
    X: pd.DataFrame,
    y: np.ndarray,
    sampling: SamplingConfig | None,
    task: TaskType,
    *,
    seed: int,
    n_rows: int | None = None,
    deadline: float | None = None,
    log: list[dict[str, Any]] | None = None,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Balance classes of a training part, then add synthetic rows if the size asks for them.

    Balancing resamples each class to one count: classes above it are undersampled without
    replacement, classes below it oversampled with replacement. When ``sampling.size``
    exceeds the ``n_rows`` training rows (default: this part's rows), synthetic rows drawn
    from a synthesizer fitted on this part's real rows only are added (how many:
    ``synthetic_count``), per class in the class shares after balancing. Validation rows
    are never touched. ``deadline`` and ``log``: see ``tunelab.synthetic.synthesize_rows``.
    """
    X_real, y_real = X, y
    if sampling is not None and sampling.balance_to is not None and task.is_classification:
        target = balance_target_count(y, sampling.balance_to)
        rng = np.random.default_rng(seed)
        picks = []
        for label in np.unique(y):
            rows = np.flatnonzero(y == label)
            replace = len(rows) < target
            picks.append(rng.choice(rows, size=target, replace=replace))
        order = rng.permutation(np.concatenate(picks))
        X, y = X.iloc[order], y[order]
    X_new, y_new = synthetic_part(
        X_real, y_real, y, sampling, task, seed=seed, n_rows=n_rows, deadline=deadline, log=log
    )
    if len(X_new) == 0:
        return X, y
    X_all = pd.concat([X.reset_index(drop=True), X_new], ignore_index=True)
    y_all = np.concatenate([y, y_new.astype(y.dtype)])
    order = np.random.default_rng(seed + 1).permutation(len(X_all))
    return X_all.iloc[order].reset_index(drop=True), y_all[order]


def synthetic_part(
    X_real: pd.DataFrame,
    y_real: np.ndarray,
    y_balanced: np.ndarray,
    sampling: SamplingConfig | None,
    task: TaskType,
    *,
    seed: int,
    n_rows: int | None = None,
    deadline: float | None = None,
    log: list[dict[str, Any]] | None = None,
) -> tuple[pd.DataFrame, np.ndarray]:
    """The synthetic rows ``resample_training_rows`` adds to a training part (none: empty).

    ``y_balanced`` is the part's labels after balancing (``y_real`` without balancing):
    the synthetic rows keep its class shares.
    """
    total = len(X_real) if n_rows is None else n_rows
    extra = synthetic_count(sampling, len(X_real), total, len(y_balanced))
    if sampling is None or extra == 0:
        return X_real.iloc[:0], y_real[:0]
    classification = task.is_classification
    return synthesize_rows(
        X_real,
        y_real,
        extra,
        classification=classification,
        seed=seed,
        synthesizer=sampling.synthesizer,
        class_counts=np.unique(y_balanced, return_counts=True)[1] if classification else None,
        deadline=deadline,
        log=log,
    )
