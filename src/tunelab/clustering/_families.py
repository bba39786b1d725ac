"""The clustering families the search draws from, with their settings and limits."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.cluster import (
    HDBSCAN,
    KMeans,
    MiniBatchKMeans,
    SpectralClustering,
)
from sklearn.cluster import (
    AgglomerativeClustering as Agglomerative,
)
from sklearn.mixture import GaussianMixture

from tunelab.clustering._estimator import BirchClustering, ClusterModel, DensityClustering
from tunelab.entities import ConfigError


@dataclass(frozen=True)
class ClusterFamily:
    """One clustering algorithm.

    ``takes_k``: the family is told the number of clusters (density families find it
    themselves and are skipped when the user fixes k). ``max_rows``: skipped above this
    (quadratic memory or time). ``options``: the settings the search picks from.
    """

    name: str
    label: str
    takes_k: bool
    assign: str
    max_rows: int | None
    options: dict[str, tuple[Any, ...]]
    build: Callable[[int, dict[str, Any], int, int], Any]

    def make(self, k: int, params: dict[str, Any], seed: int, n_rows: int) -> ClusterModel:
        """The unfitted estimator for ``k`` clusters (ignored by density families)."""
        return ClusterModel(estimator=self.build(k, params, seed, n_rows), assign=self.assign)

    def default_params(self) -> dict[str, Any]:
        return {name: values[0] for name, values in self.options.items()}

    def random_params(self, rng: np.random.Generator) -> dict[str, Any]:
        return {
            name: values[int(rng.integers(len(values)))] for name, values in self.options.items()
        }


def _kmeans(k: int, p: dict[str, Any], seed: int, n: int) -> Any:
    return KMeans(n_clusters=k, n_init=p["n_init"], random_state=seed)


def _minibatch(k: int, p: dict[str, Any], seed: int, n: int) -> Any:
    return MiniBatchKMeans(n_clusters=k, batch_size=p["batch_size"], n_init=3, random_state=seed)


def _mixture(k: int, p: dict[str, Any], seed: int, n: int) -> Any:
    return GaussianMixture(
        n_components=k, covariance_type=p["covariance_type"], n_init=1, random_state=seed
    )


def _agglomerative(k: int, p: dict[str, Any], seed: int, n: int) -> Any:
    return Agglomerative(n_clusters=k, linkage=p["linkage"])


def _birch(k: int, p: dict[str, Any], seed: int, n: int) -> Any:
    return BirchClustering(n_clusters=k, threshold=p["threshold"])


def _spectral(k: int, p: dict[str, Any], seed: int, n: int) -> Any:
    return SpectralClustering(
        n_clusters=k,
        affinity="nearest_neighbors",
        n_neighbors=min(p["n_neighbors"], max(n - 1, 2)),
        assign_labels="cluster_qr",
        random_state=seed,
    )


def _dbscan(k: int, p: dict[str, Any], seed: int, n: int) -> Any:
    return DensityClustering(min_samples=p["min_samples"], eps_quantile=p["eps_quantile"])


def _hdbscan(k: int, p: dict[str, Any], seed: int, n: int) -> Any:
    size = max(2, min(p["min_cluster_size"], n // 2))
    return HDBSCAN(min_cluster_size=size, copy=True)


FAMILIES: tuple[ClusterFamily, ...] = (
    ClusterFamily("kmeans", "k-means", True, "native", None, {"n_init": (4, 10)}, _kmeans),
    ClusterFamily(
        "gaussian_mixture",
        "Gaussian mixture",
        True,
        "native",
        None,
        {"covariance_type": ("full", "diag", "spherical", "tied")},
        _mixture,
    ),
    ClusterFamily(
        "agglomerative",
        "Agglomerative (hierarchical)",
        True,
        "centroid",
        10_000,
        {"linkage": ("ward", "average", "complete")},
        _agglomerative,
    ),
    ClusterFamily(
        "minibatch_kmeans",
        "Mini-batch k-means",
        True,
        "native",
        None,
        {"batch_size": (1024, 256)},
        _minibatch,
    ),
    ClusterFamily("birch", "BIRCH", True, "native", None, {"threshold": (0.5, 0.25, 1.0)}, _birch),
    ClusterFamily(
        "spectral",
        "Spectral",
        True,
        "centroid",
        3_000,
        {"n_neighbors": (10, 25)},
        _spectral,
    ),
    ClusterFamily(
        "dbscan",
        "DBSCAN",
        False,
        "core",
        50_000,
        {"min_samples": (5, 10, 20), "eps_quantile": (0.9, 0.8, 0.95)},
        _dbscan,
    ),
    ClusterFamily(
        "hdbscan",
        "HDBSCAN",
        False,
        "neighbour",
        20_000,
        {"min_cluster_size": (10, 5, 25, 50)},
        _hdbscan,
    ),
)


def family_names() -> list[str]:
    return [f.name for f in FAMILIES]


def get_family(name: str) -> ClusterFamily:
    """The family ``name``; ConfigError listing the known names otherwise."""
    for family in FAMILIES:
        if family.name == name:
            return family
    raise ConfigError(
        f"unknown clustering algorithm {name!r}; choose from: {', '.join(family_names())}"
    )
