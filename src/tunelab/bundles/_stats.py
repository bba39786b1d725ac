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
    }


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
        "other_frequency": other / total if total else 0.0,
    }


def reference_statistics(
    X: pd.DataFrame, schema: Sequence[ColumnSchema] | None = None
) -> dict[str, dict[str, Any]]:
    """Per column: missing ratio plus numeric quantiles/decile histogram or category frequencies.

    Numeric histograms use the training deciles as bin edges, so each bin holds about a tenth of
    the rows (a ready baseline for PSI). Categorical frequencies keep the top 50 values.
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
