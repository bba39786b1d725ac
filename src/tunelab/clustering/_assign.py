"""Cluster assignments of new rows, the same for ``tunelab predict`` and the REST API."""

from typing import Any

import numpy as np
import pandas as pd


def cluster_assignments(model: Any, X: pd.DataFrame) -> pd.DataFrame:
    """``cluster`` for each row (−1: noise), ``distance_<k>`` to each centroid, and
    ``proba_<k>`` when the model gives membership probabilities (Gaussian mixtures).

    ``model`` is a fitted ``ClusterPipeline`` (a clustering bundle's model); ``X`` its
    validated input columns.
    """
    result = pd.DataFrame({"cluster": np.asarray(model.predict(X), dtype=int)})
    distances = np.asarray(model.transform(X), dtype=float)
    for i in range(distances.shape[1]):
        result[f"distance_{i}"] = distances[:, i]
    if hasattr(model, "predict_proba"):
        proba = np.asarray(model.predict_proba(X), dtype=float)
        for i in range(proba.shape[1]):
            result[f"proba_{i}"] = proba[:, i]
    return result
