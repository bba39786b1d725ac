"""ClusterModel: one contract for every family, and assignment of new rows."""

import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.cluster import KMeans
from sklearn.datasets import make_blobs
from sklearn.mixture import GaussianMixture
from sklearn.utils.estimator_checks import check_estimator

from tunelab.clustering import (
    FAMILIES,
    BirchClustering,
    ClusterModel,
    DensityClustering,
    get_family,
)


@pytest.fixture(scope="module")
def points() -> tuple[np.ndarray, np.ndarray]:
    return make_blobs(n_samples=300, centers=3, n_features=2, cluster_std=0.4, random_state=3)


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
def test_every_family_assigns_its_training_rows_their_fitted_labels(family, points) -> None:
    X, _ = points
    model = family.make(3, family.default_params(), 0, len(X)).fit(X)
    assert model.n_clusters_ == 3
    assert set(np.unique(model.labels_)) <= {-1, 0, 1, 2}
    np.testing.assert_array_equal(model.predict(X), model.labels_)
    distances = model.transform(X)
    assert distances.shape == (len(X), 3)
    clustered = model.labels_ >= 0
    # the distance to the own centroid is the smallest one on well-separated groups
    np.testing.assert_array_equal(distances[clustered].argmin(axis=1), model.labels_[clustered])


def test_clusters_are_numbered_by_decreasing_size() -> None:
    X, _ = make_blobs(n_samples=[200, 50, 120], centers=None, n_features=2, random_state=1)
    model = get_family("kmeans").make(3, {"n_init": 4}, 0, len(X)).fit(X)
    sizes = np.bincount(model.labels_)
    assert list(sizes) == sorted(sizes, reverse=True)
    np.testing.assert_array_equal(model.predict(X), model.labels_)


def test_mixture_probabilities_follow_the_renumbered_clusters(points) -> None:
    X, _ = points
    model = get_family("gaussian_mixture").make(3, {"covariance_type": "full"}, 0, len(X)).fit(X)
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(proba.argmax(axis=1), model.labels_)


def test_only_mixtures_offer_probabilities(points) -> None:
    X, _ = points
    model = get_family("kmeans").make(3, {"n_init": 4}, 0, len(X)).fit(X)
    assert not hasattr(model, "predict_proba")


def test_dbscan_calls_far_rows_noise_and_keeps_them_noise() -> None:
    X, _ = make_blobs(n_samples=200, centers=2, n_features=2, cluster_std=0.3, random_state=0)
    X = np.vstack([X, [[60.0, 60.0], [-60.0, 60.0]]])
    model = ClusterModel(DensityClustering(min_samples=5), assign="core").fit(X)
    assert model.labels_[-2:].tolist() == [-1, -1]
    assert model.noise_ratio_ > 0
    np.testing.assert_array_equal(model.predict(X), model.labels_)
    assert model.predict(np.array([[200.0, -200.0]])).tolist() == [-1]


def test_hdbscan_assigns_a_new_row_the_label_of_its_nearest_training_row(points) -> None:
    X, _ = points
    model = get_family("hdbscan").make(0, {"min_cluster_size": 10}, 0, len(X)).fit(X)
    nearby = X[:5] + 1e-3
    np.testing.assert_array_equal(model.predict(nearby), model.labels_[:5])


def test_cluster_model_is_clonable_with_its_parameters(points) -> None:
    X, _ = points
    model = get_family("agglomerative").make(3, {"linkage": "ward"}, 0, len(X))
    copy = clone(model)
    assert copy.get_params()["assign"] == "centroid"
    assert copy.fit(X).n_clusters_ == 3


@pytest.mark.parametrize(
    "estimator",
    [
        ClusterModel(KMeans(3, n_init=2, random_state=0)),
        ClusterModel(GaussianMixture(3, random_state=0)),
        ClusterModel(DensityClustering(), assign="core"),
        BirchClustering(),
    ],
    ids=["kmeans", "mixture", "dbscan", "birch"],
)
def test_the_estimators_pass_scikit_learns_checks(estimator) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = check_estimator(estimator, on_fail=None)
    failed = [(r["check_name"], str(r["exception"])) for r in results if r["status"] == "failed"]
    assert results
    assert failed == []
