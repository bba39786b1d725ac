"""What a clustering result says about its clusters: sizes, profiles, samples, projections."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA

SAMPLE_ROWS = 5  # sample rows shown per cluster
PLOT_ROWS = 3000  # rows drawn in the 2-D projection
PARALLEL_ROWS = 1000  # rows drawn in the parallel-coordinates plot
PARALLEL_COLUMNS = 8  # numeric columns in the parallel-coordinates plot


def cluster_name(label: int) -> str:
    return "noise" if label < 0 else f"cluster {label}"


def cluster_sizes(labels: np.ndarray) -> list[dict[str, Any]]:
    """Rows per cluster (noise last), with their share of all rows."""
    values, counts = np.unique(labels, return_counts=True)
    order = sorted(
        zip(values.tolist(), counts.tolist(), strict=True), key=lambda t: (t[0] < 0, t[0])
    )
    total = max(int(counts.sum()), 1)
    return [
        {"cluster": int(v), "name": cluster_name(int(v)), "rows": int(c), "share": c / total}
        for v, c in order
    ]


def cluster_profiles(X: pd.DataFrame, labels: np.ndarray) -> list[dict[str, Any]]:
    """Per cluster and column: the mean of numbers (the centroid in original units) or the
    most frequent value and its share for other columns; ``overall`` gives the same for all
    rows."""
    numeric = [c for c in X.columns if _is_number(X[c])]
    rows: list[dict[str, Any]] = []
    for column in X.columns:
        values = X[column]
        entry: dict[str, Any] = {
            "column": str(column),
            "kind": "numeric" if column in numeric else "category",
        }
        entry["overall"] = _typical(values, column in numeric)
        entry["clusters"] = {
            str(int(c)): _typical(values[labels == c], column in numeric)
            for c in sorted(np.unique(labels), key=lambda v: (v < 0, v))
        }
        rows.append(entry)
    return rows


def _is_number(values: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(
        values.dtype
    )


def _typical(values: pd.Series, numeric: bool) -> Any:
    values = values.dropna()
    if values.empty:
        return None
    if numeric:
        return float(values.astype(float).mean())
    counts = values.astype(str).value_counts()
    return {"value": str(counts.index[0]), "share": float(counts.iloc[0] / len(values))}


def cluster_samples(
    X: pd.DataFrame, labels: np.ndarray, *, seed: int, n: int = SAMPLE_ROWS
) -> dict[str, list[dict[str, Any]]]:
    """Up to ``n`` rows of each cluster (a seeded random sample, in table order)."""
    rng = np.random.default_rng(seed)
    out: dict[str, list[dict[str, Any]]] = {}
    for c in sorted(np.unique(labels), key=lambda v: (v < 0, v)):
        rows = np.flatnonzero(labels == c)
        if len(rows) > n:
            rows = np.sort(rng.choice(rows, size=n, replace=False))
        frame = X.iloc[rows].astype(object).where(X.iloc[rows].notna(), None)
        out[str(int(c))] = [
            {"row": int(r), **{str(k): _plain(v) for k, v in rec.items()}}
            for r, rec in zip(rows, frame.to_dict(orient="records"), strict=True)
        ]
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def projection(
    matrix: np.ndarray, labels: np.ndarray, *, seed: int, max_rows: int = PLOT_ROWS
) -> dict[str, Any]:
    """Two principal components of ``matrix`` (a seeded sample of rows) with their labels."""
    rows = _sample(len(matrix), max_rows, seed)
    if matrix.shape[1] >= 2:
        pca = PCA(n_components=2, random_state=seed).fit(matrix)
        xy = pca.transform(matrix[rows])
        explained = [float(v) for v in pca.explained_variance_ratio_]
    else:
        xy = np.column_stack([matrix[rows, 0], np.zeros(len(rows))])
        explained = [1.0, 0.0]
    return {
        "x": xy[:, 0].tolist(),
        "y": xy[:, 1].tolist(),
        "cluster": labels[rows].astype(int).tolist(),
        "explained_variance": explained,
    }


def parallel_data(
    X: pd.DataFrame, labels: np.ndarray, *, seed: int, max_rows: int = PARALLEL_ROWS
) -> dict[str, Any]:
    """Numeric columns (the most spread-out, at most eight) of a seeded sample of rows."""
    numeric = [c for c in X.columns if _is_number(X[c]) and X[c].notna().any()]
    spread = {c: float(X[c].std() / (abs(X[c].mean()) + X[c].std() + 1e-12)) for c in numeric}
    columns = sorted(numeric, key=lambda c: -spread[c])[:PARALLEL_COLUMNS]
    columns = [c for c in X.columns if c in columns]
    rows = _sample(len(X), max_rows, seed)
    return {
        "columns": {
            str(c): [None if pd.isna(v) else float(v) for v in X[c].iloc[rows]] for c in columns
        },
        "cluster": labels[rows].astype(int).tolist(),
    }


def _sample(n: int, max_rows: int, seed: int) -> np.ndarray:
    if n <= max_rows:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=max_rows, replace=False))
