"""TunelabClassifier / TunelabRegressor follow the scikit-learn estimator contract."""

import numpy as np
from sklearn.base import clone
from sklearn.datasets import make_classification, make_regression
from sklearn.model_selection import cross_val_score

from tunelab import TunelabClassifier, TunelabRegressor

TINY = {"time_budget": None, "max_trials": 2, "algorithms": ["logistic_regression"]}


def test_classifier_params_round_trip_through_clone() -> None:
    model = TunelabClassifier(**TINY, seed=3)
    copy = clone(model)
    assert copy.get_params() == model.get_params()
    assert copy.get_params()["seed"] == 3
    assert not hasattr(copy, "automl_")


def test_classifier_on_arrays_with_labels() -> None:
    X, y = make_classification(n_samples=200, n_features=4, random_state=0)
    labels = np.array(["neg", "pos"])[y]
    model = TunelabClassifier(**TINY).fit(X, labels)
    assert list(model.classes_) == ["neg", "pos"]
    assert model.n_features_in_ == 4
    proba = model.predict_proba(X[:20])
    assert proba.shape == (20, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert set(model.predict(X)) <= {"neg", "pos"}
    assert model.score(X, labels) > 0.75


def test_regressor_on_arrays() -> None:
    X, y = make_regression(n_samples=200, n_features=4, noise=5.0, random_state=0)
    model = TunelabRegressor(**{**TINY, "algorithms": ["ridge"]}).fit(X, y)
    assert model.predict(X).shape == (200,)
    assert model.score(X, y) > 0.9  # R^2


def test_classifier_inside_cross_val_score() -> None:
    X, y = make_classification(
        n_samples=180, n_features=4, n_classes=3, n_informative=3, n_redundant=0, random_state=1
    )
    scores = cross_val_score(TunelabClassifier(**TINY), X, y, cv=2)
    assert scores.shape == (2,)
    assert (scores > 0.5).all()
