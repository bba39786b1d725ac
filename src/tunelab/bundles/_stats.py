"""Reference statistics of the training input, stored in the manifest for drift checks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from tunelab.bundles._schema import ColumnSchema
from tunelab.entities import ColumnKind

QUANTILES = (0.0, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1.0)
N_BINS = 10
TOP_CATEGORIES = 50
SKETCH_POINTS = 201  # quantiles at 0, 0.005, ..., 1: the reference for Wasserstein and KS
SAMPLE_CAP = 1000  # references up to this size keep every value (Evidently's small reference)
FEW_VALUES = 5  # numeric columns with at most this many values are tested as categories


def _finite(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def _numeric(values: pd.Series) -> dict[str, Any]:
    x = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return {"kind": "numeric", "count": 0}
    edges = np.unique(np.quantile(x, np.linspace(0, 1, N_BINS + 1)))
    if edges.size < 2:
        edges = np.array([x[0], x[0]])
        counts = np.array([x.size])
    else:
        counts, edges = np.histogram(x, bins=edges)
    return {
        "kind": "numeric",
        "count": int(x.size),
        "mean": _finite(float(x.mean())),
        "std": _finite(float(x.std())),
        "quantiles": {
            str(q): _finite(float(v))
            for q, v in zip(QUANTILES, np.quantile(x, QUANTILES), strict=True)
        },
        "histogram": {"edges": [float(e) for e in edges], "counts": [int(c) for c in counts]},
        **_sketch(x),
    }


def _sketch(x: np.ndarray) -> dict[str, Any]:
    """Finer reference for drift tests: a quantile sketch, every value of a small reference,
    and the value counts of a column with few distinct values."""
    out: dict[str, Any] = {
        "sketch": [float(v) for v in np.quantile(x, np.linspace(0.0, 1.0, SKETCH_POINTS))]
    }
    if x.size <= SAMPLE_CAP:
        out["sample"] = [float(v) for v in np.sort(x)]
    values, counts = np.unique(x, return_counts=True)
    out["n_unique"] = int(values.size)
    if values.size <= FEW_VALUES:
        out["value_counts"] = {repr_number(v): int(c) for v, c in zip(values, counts, strict=True)}
    return out


def repr_number(value: float) -> str:
    """A number as a category name: ``3`` for 3.0, else ``repr``."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _categorical(values: pd.Series) -> dict[str, Any]:
    counts = values.dropna().astype(str).value_counts()
    total = int(counts.sum())
    top = counts.iloc[:TOP_CATEGORIES]
    freqs = {str(k): int(v) / total for k, v in top.items()} if total else {}
    other = total - int(top.sum())
    return {
        "kind": "categorical",
        "count": total,
        "n_unique": len(counts),
        "frequencies": freqs,
        "counts": {str(k): int(v) for k, v in top.items()},
        "other_frequency": other / total if total else 0.0,
    }


def reference_statistics(
    X: pd.DataFrame, schema: Sequence[ColumnSchema] | None = None
) -> dict[str, dict[str, Any]]:
    """Per column: missing ratio plus numeric quantiles/decile histogram or category frequencies.

    Numeric histograms use the training deciles as bin edges, so each bin holds about a tenth of
    the rows (a ready baseline for PSI); a 201-point quantile sketch, the sorted values of a
    reference of at most 1,000 rows and the counts of a column of at most 5 distinct values
    serve the drift tests (``tunelab.monitoring``). Categorical frequencies and counts keep the
    top 50 values.
    """
    kinds = {c.name: ColumnKind(c.kind) for c in schema} if schema is not None else {}
    out: dict[str, dict[str, Any]] = {}
    for name in X.columns:
        series = X[name]
        kind = kinds.get(str(name))
        if kind is None:
            numeric = pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(
                series
            )
            kind = ColumnKind.NUMERIC if numeric else ColumnKind.CATEGORICAL
        if kind is ColumnKind.NUMERIC:
            stats = _numeric(series)
        elif kind is ColumnKind.DATETIME:
            stats = _numeric(
                pd.to_datetime(series, errors="coerce").astype("int64").where(series.notna())
            )
            stats["kind"] = "datetime"
        else:
            stats = _categorical(series)
        stats["missing_ratio"] = float(series.isna().mean()) if len(series) else 0.0
        out[str(name)] = stats
    return out


PREDICTION_SAMPLE = 20_000  # reference rows predicted for the prediction statistics


def prediction_statistics(
    model: Any,
    X: pd.DataFrame,
    task: str,
    classes: Sequence[Any] | None,
    *,
    output: np.ndarray | None = None,
) -> dict[str, Any]:
    """Statistics of the model's own outputs on reference rows (at most 20,000), as a column:
    predicted class names (classification) or predicted values (regression).

    ``output``: ``model.predict(X)`` when the caller has it already (used only when ``X``
    needs no sampling, so that it covers the same rows); the model then predicts nothing.
    """
    if output is not None and len(output) == len(X) and len(X) <= PREDICTION_SAMPLE:
        output = np.asarray(output)
    else:
        if len(X) > PREDICTION_SAMPLE:
            X = X.sample(PREDICTION_SAMPLE, random_state=0)
        output = np.asarray(model.predict(X))
    if classes:
        names = [str(c) for c in classes]
        stats = _categorical(pd.Series([names[int(i)] for i in output], dtype=object))
    else:
        stats = _numeric(pd.Series(output.astype(float)))
    stats["missing_ratio"] = 0.0
    return stats
