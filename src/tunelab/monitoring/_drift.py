"""Column and dataset drift of a window of logged inputs against a bundle's reference
statistics, with Evidently's size-aware default methods (see docs/monitoring.md)."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from tunelab.monitoring import _tests as t

SMALL_REFERENCE = 1000  # rows; at most this many: statistical tests, else distances
FEW_VALUES = 5  # numeric columns with at most this many distinct values count as categories
MAX_UNSEEN = 20  # unseen categories listed per column
P_VALUE_METHODS = frozenset({"ks", "chisquare", "z"})
METHODS = frozenset({"ks", "wasserstein", "chisquare", "z", "jensenshannon", "psi"})
NUMERIC_METHODS = frozenset({"ks", "wasserstein", "psi"})
DEFAULT_THRESHOLDS = {
    "ks": 0.05,
    "chisquare": 0.05,
    "z": 0.05,
    "wasserstein": 0.1,
    "jensenshannon": 0.1,
    "psi": 0.1,
}
NOT_ENOUGH_DATA = "not_enough_data"
# Below this many current rows no verdict is given: with a large reference, Wasserstein/std
# >= 0.1 flags an unchanged normal column in ~70% of 100-row windows, ~16% of 300-row ones
# and ~0.3% of 1,000-row ones (docs/monitoring.md).
MIN_ROWS = 500


@dataclass(frozen=True)
class ColumnRule:
    """A column's own method and/or threshold (None: the size-aware default)."""

    method: str | None = None
    threshold: float | None = None


@dataclass(frozen=True)
class DriftOptions:
    """``drift_share``: dataset drift when at least this share of columns drift;
    ``min_rows``: fewer current rows give "not enough data" instead of a verdict."""

    drift_share: float = 0.5
    min_rows: int = MIN_ROWS
    columns: Mapping[str, ColumnRule] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> "DriftOptions":
        data = dict(data or {})
        rules = {
            str(name): ColumnRule(rule.get("method"), rule.get("threshold"))
            for name, rule in dict(data.get("columns") or {}).items()
        }
        for name, rule in rules.items():
            if rule.method is not None and rule.method not in METHODS:
                raise ValueError(f"column {name!r}: unknown drift method {rule.method!r}")
        return cls(
            drift_share=float(data.get("drift_share", 0.5)),
            min_rows=int(data.get("min_rows", MIN_ROWS)),
            columns=rules,
        )


def as_categories(values: pd.Series) -> pd.Series:
    """Non-missing values as category names (``3`` for 3.0, as the reference stores them)."""
    values = values.dropna()
    if pd.api.types.is_bool_dtype(values):
        return values.astype(str)
    if pd.api.types.is_numeric_dtype(values):
        x = values.to_numpy(dtype=float)
        integral = np.isfinite(x) & (np.mod(x, 1) == 0)
        out = [
            (str(int(v)) if i else repr(float(v)))
            for v, i in zip(x.tolist(), integral.tolist(), strict=True)
        ]
        return pd.Series(out, dtype=object)
    return values.astype(str)


def _numbers(values: pd.Series, kind: str) -> np.ndarray:
    if kind == "datetime":
        stamps = pd.to_datetime(values, errors="coerce", utc=True)
        x = stamps.astype("int64").to_numpy(dtype=float)
        x[stamps.isna().to_numpy()] = np.nan
        return x
    if pd.api.types.is_float_dtype(values):
        return values.to_numpy(dtype=float, na_value=np.nan)
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _reference_counts(stats: Mapping[str, Any]) -> dict[str, float]:
    counts = stats.get("counts") or stats.get("value_counts")
    if counts:
        return {str(k): float(v) for k, v in counts.items()}
    total = float(stats.get("count") or 0)
    return {str(k): float(v) * total for k, v in (stats.get("frequencies") or {}).items()}


def _default_method(categorical: bool, n_reference: int, n_categories: int) -> str:
    small = n_reference <= SMALL_REFERENCE
    if categorical:
        if not small:
            return "jensenshannon"
        return "z" if n_categories <= 2 else "chisquare"
    return "ks" if small else "wasserstein"


def _is_drift(method: str, score: float | None, threshold: float) -> bool | None:
    if score is None or np.isnan(score):
        return None
    return bool(score < threshold) if method in P_VALUE_METHODS else bool(score >= threshold)


def _score(method: str, stats: Mapping[str, Any], current: Any, categorical: bool) -> float | None:
    if categorical:
        ref = _reference_counts(stats)
        cur = current  # a dict of counts
        if method == "jensenshannon":
            return t.jensen_shannon(ref, cur)
        if method == "chisquare":
            return t.chi_square_pvalue(ref, cur)
        if method == "z":
            return t.z_test_pvalue(ref, cur)
        if method == "psi":
            r, c = t._aligned(ref, cur)
            return t.psi(r / max(r.sum(), 1.0), c)
        raise ValueError(f"{method} does not apply to categories")
    x: np.ndarray = current
    if method == "ks":
        sample = stats.get("sample")
        if sample is None:  # a large reference: its sketch stands in (same quantiles)
            sample = stats.get("sketch")
        return t.ks_pvalue(np.asarray(sample, dtype=float), x, sorted_=True) if sample else None
    if method == "wasserstein":
        std = float(stats.get("std") or 0.0)
        sketch = stats.get("sketch")
        if sketch:
            return t.wasserstein_normed(np.asarray(sketch, dtype=float), x, std, sorted_=True)
        quantiles = stats.get("quantiles") or {}  # older bundles: 11 quantiles only
        levels = sorted(quantiles, key=float)
        values = np.asarray([quantiles[k] for k in levels], dtype=float)
        grid = np.asarray([float(k) for k in levels])
        return t.wasserstein_normed(values, x, std, grid, sorted_=True) if levels else None
    if method == "psi":
        return _psi_numeric(stats, x)
    raise ValueError(f"{method} does not apply to numbers")


def _psi_numeric(stats: Mapping[str, Any], x: np.ndarray) -> float | None:
    histogram = stats.get("histogram") or {}
    edges, counts = histogram.get("edges"), histogram.get("counts")
    if not edges or not counts or len(edges) != len(counts) + 1:
        return None
    ref = np.asarray(counts, dtype=float)
    counts = t.histogram_counts(np.asarray(edges), x, sorted_=True)
    return t.psi(ref / max(ref.sum(), 1.0), counts)


def _distribution(
    stats: Mapping[str, Any], current: Any, categorical: bool, top: int = 12
) -> dict[str, Any]:
    """Reference and current shares for a plot: decile bins or the top categories."""
    if categorical:
        counts = _reference_counts(stats)
        cur: Mapping[str, float] = current
        rtotal, ctotal = max(sum(counts.values()), 1.0), max(sum(cur.values()), 1.0)
        keys = sorted(set(counts) | set(cur), key=lambda k: -(counts.get(k, 0) / rtotal))[:top]
        return {
            "labels": keys,
            "reference": [counts.get(k, 0.0) / rtotal for k in keys],
            "current": [cur.get(k, 0.0) / ctotal for k in keys],
        }
    histogram = stats.get("histogram") or {}
    edges, bins = histogram.get("edges") or [], histogram.get("counts") or []
    if len(edges) != len(bins) + 1 or not bins:
        return {"labels": [], "reference": [], "current": []}
    ref = np.asarray(bins, dtype=float)
    cur_counts = t.histogram_counts(np.asarray(edges), current, sorted_=True).astype(float)
    return {
        "edges": [float(e) for e in edges],
        "labels": [f"{edges[i]:.4g}–{edges[i + 1]:.4g}" for i in range(len(bins))],
        "reference": (ref / max(ref.sum(), 1.0)).tolist(),
        "current": (cur_counts / max(cur_counts.sum(), 1.0)).tolist(),
    }


def column_drift(
    name: str,
    stats: Mapping[str, Any],
    values: pd.Series,
    rule: ColumnRule | None = None,
    enough: bool = True,
) -> dict[str, Any]:
    """One column's drift: method, score, threshold, verdict, PSI, missing share, unseen
    categories and the distributions for a plot. ``enough=False`` withholds the verdict."""
    rule = rule or ColumnRule()
    kind = str(stats.get("kind", "categorical"))
    n_reference = int(stats.get("count") or 0)
    categorical = kind == "categorical" or (
        kind == "numeric" and stats.get("value_counts") is not None
    )
    missing = int(values.isna().sum())
    current: Any
    unseen: list[str] = []
    if categorical:
        names = as_categories(values)
        counts = names.value_counts()
        current = {str(k): float(v) for k, v in counts.items()}
        missing = len(values) - int(counts.sum())
        ref = _reference_counts(stats)
        complete = int(stats.get("n_unique") or len(ref)) <= len(ref)
        if complete:
            unseen = [k for k in current if k not in ref][:MAX_UNSEEN]
        n_categories = len(set(ref) | set(current))
        n_current = int(counts.sum())
    else:
        x = _numbers(values, kind)
        current = np.sort(x[np.isfinite(x)])  # sorted once for every statistic below
        missing = len(values) - int(current.size)
        n_categories = 0
        n_current = int(current.size)
    method = rule.method or _default_method(categorical, n_reference, n_categories)
    if not categorical and method not in NUMERIC_METHODS:
        method = _default_method(False, n_reference, 0)
    threshold = float(rule.threshold if rule.threshold is not None else DEFAULT_THRESHOLDS[method])
    score = _score(method, stats, current, categorical) if n_current and n_reference else None
    psi_value = None
    if n_current and n_reference:
        psi_value = _score("psi", stats, current, categorical) if method != "psi" else score
    return {
        "name": name,
        "kind": "categorical" if categorical else kind,
        "method": method,
        "score": score,
        "threshold": threshold,
        "drifted": _is_drift(method, score, threshold) if enough else None,
        "missing_share": missing / len(values) if len(values) else 0.0,
        "unseen_categories": unseen,
        "reference_missing_share": float(stats.get("missing_ratio") or 0.0),
        "psi": psi_value,
        "rows": n_current,
        "distribution": _distribution(stats, current, categorical),
    }


def drift_report(
    reference: Mapping[str, Mapping[str, Any]],
    current: pd.DataFrame,
    options: DriftOptions | None = None,
    prediction_reference: Mapping[str, Any] | None = None,
    predictions: pd.Series | None = None,
) -> dict[str, Any]:
    """Dataset drift of ``current`` (logged inputs, one column per feature) against the
    reference statistics: per column verdicts, the share drifted and the dataset verdict.

    ``prediction_reference``/``predictions``: the model's outputs on the reference and in the
    window, compared the same way (``prediction``). Fewer rows than ``options.min_rows``
    answer ``status: "not_enough_data"`` with null verdicts.
    """
    options = options or DriftOptions()
    rows = len(current)
    enough = rows >= options.min_rows
    columns = []
    for name, stats in reference.items():
        values = current[name] if name in current.columns else pd.Series([None] * rows)
        columns.append(column_drift(name, stats, values, options.columns.get(name), enough))
    decided = [c for c in columns if c["drifted"] is not None]
    share = sum(c["drifted"] for c in decided) / len(decided) if decided else 0.0
    prediction: dict[str, Any] = {"status": "no_reference"}
    if prediction_reference and predictions is not None:
        prediction = column_drift(
            "prediction",
            prediction_reference,
            predictions,
            options.columns.get("prediction"),
            enough,
        )
    return {
        "status": "ok" if enough else NOT_ENOUGH_DATA,
        "dataset_drift": bool(share >= options.drift_share) if enough and decided else None,
        "drift_share": share,
        "threshold_share": options.drift_share,
        "rows": rows,
        "min_rows": options.min_rows,
        "columns": columns,
        "prediction": prediction,
    }
