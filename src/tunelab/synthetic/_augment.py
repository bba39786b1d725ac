"""Synthetic training rows for a labelled table: one synthesizer per class, or the target
as one more column (regression)."""

import hashlib
import time
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


def make_synthesizer(name: str, seed: int, deadline: float | None = None) -> Any:
    """The synthesizer called ``name`` ("copula" or "ctgan"; "none" makes no rows); a
    ``deadline`` (``time.monotonic()``) bounds the GAN's training (the copula fits at once)."""
    if name == "copula":
        return GaussianCopulaSynthesizer(random_state=seed)
    if name == "ctgan":
        from tunelab.synthetic._gan import TabularGANSynthesizer

        return TabularGANSynthesizer(steps=GAN_STEPS, random_state=seed, deadline=deadline)
    raise DataError(f"unknown synthesizer {name!r}: expected one of {SYNTHESIZERS[:-1]}")


def load_synthesizer(name: str) -> None:
    """Import what the synthesizer ``name`` needs (PyTorch for "ctgan": seconds on a busy
    machine), so a deadline set afterwards is spent training, not importing."""
    if name == "ctgan":
        from tunelab.synthetic._gan import _torch

        _torch()


def _key(X: pd.DataFrame, y: np.ndarray, *extra: Any) -> str:
    digest = hashlib.sha256()
    digest.update(pd.util.hash_pandas_object(X, index=False).to_numpy().tobytes())
    digest.update(np.ascontiguousarray(y).tobytes())
    digest.update(repr((list(map(str, X.columns)), str(y.dtype), *extra)).encode())
    return digest.hexdigest()


# Rows already drawn, by their inputs: a search draws each fold's rows once, in its process,
# before forking trials (``prepare``), and every trial then finds them here.
_MEMO: OrderedDict[str, tuple[pd.DataFrame, np.ndarray, list[dict[str, Any]]]] = OrderedDict()
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
    deadline: float | None = None,
    log: list[dict[str, Any]] | None = None,
) -> tuple[pd.DataFrame, np.ndarray]:
    """``n_rows`` synthetic rows (features and target) drawn like the rows of ``X, y``.

    Classification fits one synthesizer per class on that class's rows and draws the rows
    in proportion to the class counts of ``y`` (or to ``class_counts``, one per sorted
    label, e.g. the counts after balancing); regression models the target as one more
    column. Only the rows given are seen: pass training rows only.

    ``deadline`` (``time.monotonic()``) bounds the synthesizers' training, shared evenly
    by the classes still to fit. ``log`` (a list) gets one entry per synthesizer: its class,
    steps planned and done, whether the deadline cut it, seconds (``reused`` when the rows
    came from an earlier identical call). The deadline is not part of the memo's key: rows
    drawn once, under a deadline, are what every later identical call gets.
    """
    if n_rows <= 0:
        raise DataError(f"the number of synthetic rows must be positive, got {n_rows}")
    if len(X) == 0:
        raise DataError("no rows to learn synthetic rows from")
    y = np.asarray(y)
    counts = None if class_counts is None else np.asarray(class_counts).tolist()
    key = _key(X, y, n_rows, classification, seed, synthesizer, counts)
    if key in _MEMO:
        X_new, y_new, fitted = _MEMO[key]
        if log is not None:
            log.extend({**entry, "reused": True} for entry in fitted)
        return X_new.copy(), y_new.copy()
    fitted = []
    X_new, y_new = _draw(
        X, y, n_rows, classification, seed, synthesizer, class_counts, deadline, fitted
    )
    _MEMO[key] = (X_new, y_new, fitted)
    while len(_MEMO) > MEMO_ENTRIES:
        _MEMO.popitem(last=False)
    if log is not None:
        log.extend(fitted)
    return X_new.copy(), y_new.copy()


def _train_entry(model: Any, label: Any, seconds: float) -> dict[str, Any]:
    """What one synthesizer's fit did: steps planned/done and whether a deadline cut it."""
    entry: dict[str, Any] = {
        "class": None if label is None else str(label),
        "synthesizer": type(model).__name__,
        "seconds": round(seconds, 3),
    }
    if hasattr(model, "steps_done_"):
        entry.update(
            steps=int(model.steps), steps_done=int(model.steps_done_), cut=bool(model.cut_)
        )
    return entry


def _share(deadline: float | None, parts_left: int) -> float | None:
    """This fit's deadline: the time left shared evenly by the fits still to do."""
    if deadline is None:
        return None
    now = time.monotonic()
    return now + max(0.0, deadline - now) / max(1, parts_left)


def _draw(
    X: pd.DataFrame,
    y: np.ndarray,
    n_rows: int,
    classification: bool,
    seed: int,
    synthesizer: str,
    class_counts: np.ndarray | None,
    deadline: float | None,
    fitted: list[dict[str, Any]],
) -> tuple[pd.DataFrame, np.ndarray]:
    if not classification:
        frame = X.reset_index(drop=True).assign(**{TARGET_COLUMN: y.astype(np.float64)})
        began = time.monotonic()
        model = make_synthesizer(synthesizer, seed, deadline).fit(frame)
        fitted.append(_train_entry(model, None, time.monotonic() - began))
        drawn = model.sample(n_rows)
        return drawn.drop(columns=[TARGET_COLUMN]), drawn[TARGET_COLUMN].to_numpy(np.float64)
    labels, counts = np.unique(y, return_counts=True)
    if class_counts is not None:
        counts = np.asarray(class_counts)
    parts, targets = [], []
    shares = allocate(counts, n_rows)
    left = int((shares > 0).sum())
    for i, (label, k) in enumerate(zip(labels, shares, strict=True)):
        if k == 0:
            continue
        members = X.iloc[np.flatnonzero(y == label)]
        began = time.monotonic()
        model = make_synthesizer(synthesizer, seed + i, _share(deadline, left)).fit(members)
        fitted.append(_train_entry(model, label, time.monotonic() - began))
        left -= 1
        parts.append(model.sample(int(k)))
        targets.append(np.full(int(k), label, dtype=y.dtype))
    return pd.concat(parts, ignore_index=True), np.concatenate(targets)
