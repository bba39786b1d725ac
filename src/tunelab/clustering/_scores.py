"""Internal and external clustering scores, the rule that ranks candidates, and the elbow.

The choice rule (``CHOICE_RULE``): every successful candidate is ranked on each of
silhouette (higher is better), Calinski–Harabasz (higher) and Davies–Bouldin (lower); the
candidate with the best mean of its three ranks wins, ties broken by the higher silhouette.
All candidates are scored in the same space (the standard-scaled preprocessed features, no
reduction), so scalings and reductions compete on equal terms. Noise rows (label -1 of the
density families) are scored as members of their nearest cluster (by centroid): leaving
them out would let a method win by calling the hard rows noise.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import (
    adjusted_mutual_info_score,
    adjusted_rand_score,
    calinski_harabasz_score,
    davies_bouldin_score,
    silhouette_score,
)
from sklearn.metrics.pairwise import euclidean_distances

SILHOUETTE_ROWS = 10_000
SCORE_COLUMNS = ("silhouette", "calinski_harabasz", "davies_bouldin")
CHOICE_RULE = (
    "mean rank over silhouette (higher is better), Calinski-Harabasz (higher) and "
    "Davies-Bouldin (lower), all computed on the standard-scaled features with noise rows "
    "counted in their nearest cluster; ties go to the higher silhouette"
)


def internal_scores(
    matrix: np.ndarray, labels: np.ndarray, *, seed: int, max_rows: int = SILHOUETTE_ROWS
) -> dict[str, float]:
    """Silhouette (on at most ``max_rows`` rows), Calinski–Harabasz and Davies–Bouldin.

    Noise rows (-1) count as members of their nearest cluster centroid. Needs at least two
    clusters and fewer clusters than rows; raises ValueError otherwise.
    """
    y = without_noise(matrix, labels)
    n_clusters = len(np.unique(y))
    if n_clusters < 2 or n_clusters >= len(y):
        raise ValueError(f"{n_clusters} cluster(s) among {len(y)} rows")
    sample = max_rows if len(y) > max_rows else None
    silhouette = silhouette_score(matrix, y, sample_size=sample, random_state=seed)
    return {
        "silhouette": float(silhouette),
        "calinski_harabasz": float(calinski_harabasz_score(matrix, y)),
        "davies_bouldin": float(davies_bouldin_score(matrix, y)),
    }


def without_noise(matrix: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """``labels`` with every noise row (-1) given the cluster of its nearest centroid."""
    noise = labels < 0
    if not noise.any() or noise.all():
        return labels
    found = np.unique(labels[~noise])
    centroids = np.vstack([matrix[labels == c].mean(axis=0) for c in found])
    out = labels.copy()
    out[noise] = found[np.argmin(euclidean_distances(matrix[noise], centroids), axis=1)]
    return out


def label_scores(truth: pd.Series, labels: np.ndarray) -> dict[str, float]:
    """Adjusted Rand index and adjusted mutual information against an evaluation label.

    Rows whose label is missing are left out; noise (-1) counts as one more cluster.
    """
    known = truth.notna().to_numpy()
    values = truth[known].astype(str).to_numpy()
    return {
        "adjusted_rand": float(adjusted_rand_score(values, labels[known])),
        "adjusted_mutual_info": float(adjusted_mutual_info_score(values, labels[known])),
    }


def mean_ranks(rows: Sequence[dict[str, Any]]) -> list[float]:
    """The mean of each row's ranks (1 = best) on the three scores (see CHOICE_RULE)."""
    if not rows:
        return []
    frame = pd.DataFrame([{k: r[k] for k in SCORE_COLUMNS} for r in rows], dtype=float)
    frame = frame.map(lambda v: float(f"{v:.6g}"))  # equal partitions must tie exactly
    ranks = pd.concat(
        [
            frame["silhouette"].rank(ascending=False, method="average"),
            frame["calinski_harabasz"].rank(ascending=False, method="average"),
            frame["davies_bouldin"].rank(ascending=True, method="average"),
        ],
        axis=1,
    )
    return [float(v) for v in ranks.mean(axis=1)]


def elbow(ks: Sequence[int], values: Sequence[float]) -> int | None:
    """The elbow of a decreasing curve (e.g. inertia by k): the point farthest from the
    straight line joining its first and last points ("kneedle"). None below three points."""
    if len(ks) < 3:
        return None
    x = np.asarray(ks, dtype=float)
    y = np.asarray(values, dtype=float)
    x = (x - x[0]) / (x[-1] - x[0])
    span = y[0] - y[-1]
    if not np.isfinite(span) or span == 0:
        return None
    y = (y[0] - y) / span  # 0 at the first k, 1 at the last
    return int(ks[int(np.argmax(y - x))])
