"""The last step of every clustering pipeline: one estimator that labels, assigns and measures.

``ClusterModel`` wraps a scikit-learn clusterer so that every family offers the same
contract: ``fit`` (sets ``labels_``, ``centroids_``, ``n_clusters_``), ``predict`` (cluster
labels of new rows), ``transform`` (Euclidean distance of each row to each cluster centroid)
and, for Gaussian mixtures, ``predict_proba``. Clusters are renumbered 0..k-1 by decreasing
size; noise (density families) keeps the label -1.

How new rows are assigned (``assign``):

- ``native``: the clusterer's own ``predict`` (k-means, mini-batch k-means, Gaussian mixture,
  BIRCH), mapped to the renumbered labels;
- ``centroid``: the nearest centroid of the fitted clusters (agglomerative, spectral, which
  have no ``predict``);
- ``core``: the cluster of the nearest core sample when it lies within ``eps``, else noise
  (DBSCAN's own definition of a border point);
- ``neighbour``: the label of the nearest training row, noise included (HDBSCAN; an
  approximation of its soft assignment that reproduces the training labels exactly).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin, TransformerMixin, clone
from sklearn.cluster import DBSCAN, Birch
from sklearn.metrics.pairwise import euclidean_distances
from sklearn.neighbors import NearestNeighbors
from sklearn.pipeline import Pipeline
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, validate_data

NOISE = -1
ASSIGN_METHODS = ("native", "centroid", "core", "neighbour")


def _fit_input(estimator: Any, X: Any) -> np.ndarray:
    """``X`` checked (dense, finite, real) as float64; records ``n_features_in_``."""
    return np.asarray(validate_data(estimator, X, dtype=np.float64))


def _input(estimator: Any, X: Any) -> np.ndarray:
    """``X`` checked against the fitted number of features."""
    return np.asarray(validate_data(estimator, X, dtype=np.float64, reset=False))


class DensityClustering(ClusterMixin, BaseEstimator):
    """DBSCAN whose ``eps`` is the ``eps_quantile`` of the distances of every row to its
    ``min_samples``-th neighbour (the knee of the k-distance plot), so one setting fits data
    of any scale. ``eps_`` holds the value used; ``components_`` and ``core_labels_`` the
    core samples and their clusters."""

    def __init__(self, min_samples: int = 5, eps_quantile: float = 0.9) -> None:
        self.min_samples = min_samples
        self.eps_quantile = eps_quantile

    def fit(self, X: Any, y: Any = None) -> DensityClustering:
        X = _fit_input(self, X)
        k = min(self.min_samples, len(X) - 1)
        distances, _ = NearestNeighbors(n_neighbors=k + 1).fit(X).kneighbors(X)
        eps = float(np.quantile(distances[:, -1], self.eps_quantile))
        self.eps_ = eps if eps > 0 else 1e-9
        inner = DBSCAN(eps=self.eps_, min_samples=self.min_samples).fit(X)
        self.labels_ = inner.labels_
        self.components_ = X[inner.core_sample_indices_]
        self.core_labels_ = inner.labels_[inner.core_sample_indices_]
        return self


class BirchClustering(ClusterMixin, BaseEstimator):
    """BIRCH kept as its subcluster centres: skops cannot save scikit-learn's ``Birch`` (its
    CF tree), and prediction only needs the centres. ``predict`` gives the cluster of the
    nearest subcluster centre, as ``Birch.predict`` does."""

    def __init__(self, n_clusters: int = 3, threshold: float = 0.5) -> None:
        self.n_clusters = n_clusters
        self.threshold = threshold

    def fit(self, X: Any, y: Any = None) -> BirchClustering:
        X = _fit_input(self, X)
        inner = Birch(n_clusters=self.n_clusters, threshold=self.threshold).fit(X)
        self.subcluster_centers_ = np.asarray(inner.subcluster_centers_, dtype=np.float64)
        self.subcluster_labels_ = np.asarray(inner.subcluster_labels_, dtype=int)
        self.labels_ = self.predict(X)
        return self

    def predict(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "subcluster_centers_")
        nearest = np.argmin(euclidean_distances(_input(self, X), self.subcluster_centers_), axis=1)
        return np.asarray(self.subcluster_labels_[nearest], dtype=int)


class ClusterModel(TransformerMixin, ClusterMixin, BaseEstimator):
    """A clusterer with the tunelab clustering contract (see the module docstring).

    Args:
        estimator: an unfitted scikit-learn clusterer.
        assign: how new rows get a cluster: native, centroid, core or neighbour.
    """

    def __init__(self, estimator: Any = None, assign: str = "native") -> None:
        self.estimator = estimator
        self.assign = assign

    def fit(self, X: Any, y: Any = None) -> ClusterModel:
        if self.assign not in ASSIGN_METHODS:
            raise ValueError(f"assign={self.assign!r}; expected one of {ASSIGN_METHODS}")
        X = _fit_input(self, X)
        model = clone(self.estimator)
        raw = np.asarray(model.fit_predict(X)).astype(int)
        found, counts = np.unique(raw[raw != NOISE], return_counts=True)
        order = found[np.argsort(-counts, kind="stable")]
        self.raw_labels_ = order  # raw label of cluster i
        lookup = {int(r): i for i, r in enumerate(order)}
        # centroid-assigned families predict from the centroids alone: the fitted clusterer
        # (with its n×n affinity or merge tree) is not kept
        self.estimator_: Any = None if self.assign == "centroid" else model
        self.labels_ = self._renumber(raw, lookup)
        self.n_clusters_ = len(order)
        self.noise_ratio_ = float(np.mean(raw == NOISE)) if len(raw) else 0.0
        width = X.shape[1]
        self.centroids_ = (
            np.vstack([X[self.labels_ == i].mean(axis=0) for i in range(self.n_clusters_)])
            if self.n_clusters_
            else np.empty((0, width))
        )
        if self.assign == "core":
            self.core_points_ = np.asarray(model.components_, dtype=np.float64)
            self.core_point_labels_ = self._renumber(np.asarray(model.core_labels_), lookup)
            self.core_radius_ = float(model.eps_)
        if self.assign == "neighbour":
            self.train_points_ = X
        return self

    @staticmethod
    def _renumber(raw: np.ndarray, lookup: dict[int, int]) -> np.ndarray:
        return np.array([lookup.get(int(r), NOISE) for r in raw], dtype=int)

    def predict(self, X: Any) -> np.ndarray:
        """Cluster label of each row (0..k-1, or -1 for noise in density families)."""
        check_is_fitted(self, "labels_")
        X = _input(self, X)
        if self.assign == "native":
            lookup = {int(r): i for i, r in enumerate(self.raw_labels_)}
            labels = self._renumber(np.asarray(self.estimator_.predict(X)), lookup)
            stray = labels == NOISE  # an empty mixture component: fall back to the centroid
            if stray.any():
                labels[stray] = self._nearest_centroid(X[stray])
            return labels
        if self.assign == "centroid":
            return self._nearest_centroid(X)
        if self.assign == "core":
            return self._nearest_within(
                self.core_points_, self.core_point_labels_, X, radius=self.core_radius_
            )
        return self._nearest_within(self.train_points_, self.labels_, X, radius=None)

    def _nearest_centroid(self, X: np.ndarray) -> np.ndarray:
        if not self.n_clusters_:
            return np.full(len(X), NOISE, dtype=int)
        return np.asarray(np.argmin(self.transform(X), axis=1), dtype=int)

    @staticmethod
    def _nearest_within(
        points: np.ndarray, labels: np.ndarray, X: np.ndarray, radius: float | None
    ) -> np.ndarray:
        if not len(points):
            return np.full(len(X), NOISE, dtype=int)
        distance, index = NearestNeighbors(n_neighbors=1).fit(points).kneighbors(X)
        out = labels[index[:, 0]].copy()
        if radius is not None:
            out[distance[:, 0] > radius] = NOISE
        return np.asarray(out, dtype=int)

    def fit_predict(self, X: Any, y: Any = None, **kwargs: Any) -> np.ndarray:
        return np.asarray(self.fit(X).labels_)

    def transform(self, X: Any) -> np.ndarray:
        """Euclidean distance of each row to each cluster centroid (k columns)."""
        check_is_fitted(self, "centroids_")
        return np.asarray(euclidean_distances(_input(self, X), self.centroids_))

    def _has_proba(self) -> bool:
        model = getattr(self, "estimator_", self.estimator)
        return hasattr(model, "predict_proba")

    @available_if(_has_proba)
    def predict_proba(self, X: Any) -> np.ndarray:
        """Membership probability of each cluster (Gaussian mixtures only), rows sum to 1."""
        check_is_fitted(self, "labels_")
        proba = np.asarray(self.estimator_.predict_proba(_input(self, X)))[:, self.raw_labels_]
        total = proba.sum(axis=1, keepdims=True)
        return np.asarray(np.divide(proba, total, out=np.zeros_like(proba), where=total > 0))

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        return np.array([f"distance_{i}" for i in range(self.n_clusters_)], dtype=object)


class ClusterPipeline(Pipeline):
    """A scikit-learn Pipeline ending in a :class:`ClusterModel` (preprocess → reduce →
    cluster) that also exposes the fitted clustering: ``labels_``, ``n_clusters_`` and
    ``centroids_`` (in the space the last step sees)."""

    @property
    def labels_(self) -> np.ndarray:
        return np.asarray(self.steps[-1][1].labels_)

    @property
    def n_clusters_(self) -> int:
        return int(self.steps[-1][1].n_clusters_)

    @property
    def centroids_(self) -> np.ndarray:
        return np.asarray(self.steps[-1][1].centroids_)
