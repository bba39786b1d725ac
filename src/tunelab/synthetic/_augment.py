"""Synthetic training rows for a labelled table: one synthesizer per class, or the target
as one more column (regression)."""

import hashlib
from collections import OrderedDict
from typing import Any

import numpy as np
import pandas as pd

from tunelab.entities import DataError
from tunelab.entities.choices import SYNTHESIZERS
from tunelab.synthetic._copula import GaussianCopulaSynthesizer

# generator updates of each "ctgan" synthesizer (one per class and training part)
GAN_STEPS = 600
# the regression target's column name while it is modelled with the features
TARGET_COLUMN = "__tunelab_target__"


def allocate(counts: np.ndarray, total: int) -> np.ndarray:
    """``total`` split in proportion to ``counts`` (largest remainders, ties to the first)."""
    counts = np.asarray(counts, dtype=np.float64)
    if total <= 0 or counts.sum() <= 0:
        return np.zeros(len(counts), dtype=np.int64)
    exact = counts / counts.sum() * total
    base = np.floor(exact).astype(np.int64)
    order = np.argsort(-(exact - base), kind="stable")
    base[order[: total - int(base.sum())]] += 1
    return base


def make_synthesizer(name: str, seed: int) -> Any:
    """The synthesizer called ``name`` ("copula" or "ctgan"; "none" makes no rows)."""
    if name == "copula":
        return GaussianCopulaSynthesizer(random_state=seed)
    if name == "ctgan":
        from tunelab.synthetic._gan import TabularGANSynthesizer

        return TabularGANSynthesizer(steps=GAN_STEPS, random_state=seed)
    raise DataError(f"unknown synthesizer {name!r}: expected one of {SYNTHESIZERS[:-1]}")


def _key(X: pd.DataFrame, y: np.ndarray, *extra: Any) -> str:
    digest = hashlib.sha256()
    digest.update(pd.util.hash_pandas_object(X, index=False).to_numpy().tobytes())
    digest.update(np.ascontiguousarray(y).tobytes())
    digest.update(repr((list(map(str, X.columns)), str(y.dtype), *extra)).encode())
    return digest.hexdigest()


# Rows already drawn, by their inputs: a search draws each fold's rows once, in its process,
# before forking trials (``prepare``), and every trial then finds them here.
_MEMO: OrderedDict[str, tuple[pd.DataFrame, np.ndarray]] = OrderedDict()
MEMO_ENTRIES = 64


def synthesize_rows(
    X: pd.DataFrame,
    y: np.ndarray,
    n_rows: int,
    *,
    classification: bool,
    seed: int,
    synthesizer: str = "copula",
    class_counts: np.ndarray | None = None,
) -> tuple[pd.DataFrame, np.ndarray]:
    """``n_rows`` synthetic rows (features and target) drawn like the rows of ``X, y``.

    Classification fits one synthesizer per class on that class's rows and draws the rows
    in proportion to the class counts of ``y`` (or to ``class_counts``, one per sorted
    label, e.g. the counts after balancing); regression models the target as one more
    column. Only the rows given are seen: pass training rows only.
    """
    if n_rows <= 0:
        raise DataError(f"the number of synthetic rows must be positive, got {n_rows}")
    if len(X) == 0:
        raise DataError("no rows to learn synthetic rows from")
    y = np.asarray(y)
    counts = None if class_counts is None else np.asarray(class_counts).tolist()
    key = _key(X, y, n_rows, classification, seed, synthesizer, counts)
    if key in _MEMO:
        X_new, y_new = _MEMO[key]
        return X_new.copy(), y_new.copy()
    drawn = _draw(X, y, n_rows, classification, seed, synthesizer, class_counts)
    _MEMO[key] = drawn
    while len(_MEMO) > MEMO_ENTRIES:
        _MEMO.popitem(last=False)
    return drawn[0].copy(), drawn[1].copy()


def _draw(
    X: pd.DataFrame,
    y: np.ndarray,
    n_rows: int,
    classification: bool,
    seed: int,
    synthesizer: str,
    class_counts: np.ndarray | None,
) -> tuple[pd.DataFrame, np.ndarray]:
    if not classification:
        frame = X.reset_index(drop=True).assign(**{TARGET_COLUMN: y.astype(np.float64)})
        drawn = make_synthesizer(synthesizer, seed).fit(frame).sample(n_rows)
        return drawn.drop(columns=[TARGET_COLUMN]), drawn[TARGET_COLUMN].to_numpy(np.float64)
    labels, counts = np.unique(y, return_counts=True)
    if class_counts is not None:
        counts = np.asarray(class_counts)
    parts, targets = [], []
    for i, (label, k) in enumerate(zip(labels, allocate(counts, n_rows), strict=True)):
        if k == 0:
            continue
        members = X.iloc[np.flatnonzero(y == label)]
        model = make_synthesizer(synthesizer, seed + i).fit(members)
        parts.append(model.sample(int(k)))
        targets.append(np.full(int(k), label, dtype=y.dtype))
    return pd.concat(parts, ignore_index=True), np.concatenate(targets)
