"""FoldBag, WeightedEnsemble, StackedEnsemble and the stacking meta-model."""

import json
import pickle
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.tree import DecisionTreeClassifier

from tunelab.ensembling import FoldBag, StackedEnsemble, WeightedEnsemble, fit_stacker

X3, Y3 = make_classification(
    n_samples=240, n_features=5, n_informative=3, n_classes=3, random_state=0
)


@pytest.fixture(scope="module")
def full_model() -> LogisticRegression:
    return LogisticRegression(max_iter=500).fit(X3, Y3)


@pytest.fixture(scope="module")
def partial_model() -> LogisticRegression:
    """Saw classes 0 and 2 only (a fold without class 1)."""
    keep = Y3 != 1
    return LogisticRegression(max_iter=500).fit(X3[keep], Y3[keep])


def test_fold_bag_aligns_columns_of_a_member_that_saw_fewer_classes(
    full_model: LogisticRegression, partial_model: LogisticRegression
) -> None:
    bag = FoldBag([full_model, partial_model], n_classes=3).fit()
    proba = bag.predict_proba(X3)
    assert proba.shape == (len(X3), 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    full, part = full_model.predict_proba(X3), partial_model.predict_proba(X3)
    np.testing.assert_allclose(proba[:, 1], full[:, 1] / 2)  # the partial member gives 0
    np.testing.assert_allclose(proba[:, 2], (full[:, 2] + part[:, 1]) / 2)
    np.testing.assert_array_equal(bag.classes_, [0, 1, 2])
    np.testing.assert_array_equal(bag.predict(X3), proba.argmax(axis=1))


def test_fold_bag_averages_regression_members() -> None:
    X, y = make_regression(n_samples=100, n_features=3, random_state=1)
    a = LinearRegression().fit(X[:50], y[:50])
    b = LinearRegression().fit(X[50:], y[50:])
    bag = FoldBag([a, b]).fit()
    np.testing.assert_allclose(bag.predict(X), (a.predict(X) + b.predict(X)) / 2)
    assert not hasattr(bag, "classes_")


def test_weighted_ensemble_aligns_and_weights_probabilities(
    full_model: LogisticRegression, partial_model: LogisticRegression
) -> None:
    ens = WeightedEnsemble([full_model, partial_model], [3.0, 1.0], n_classes=3).fit()
    np.testing.assert_allclose(ens.weights_, [0.75, 0.25])
    proba = ens.predict_proba(X3)
    assert proba.shape == (len(X3), 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_allclose(proba[:, 1], 0.75 * full_model.predict_proba(X3)[:, 1])
    np.testing.assert_array_equal(ens.predict(X3), proba.argmax(axis=1))


def test_weighted_ensemble_of_fold_bags_for_regression() -> None:
    X, y = make_regression(n_samples=80, n_features=3, random_state=2)
    a = FoldBag([LinearRegression().fit(X, y)]).fit()
    b = FoldBag([LinearRegression().fit(X, -y)]).fit()
    ens = WeightedEnsemble([a, b], [0.5, 0.5]).fit()
    np.testing.assert_allclose(ens.predict(X), 0.0, atol=1e-8)


@pytest.mark.parametrize(
    ("members", "weights", "match"),
    [
        ([], [], "one weight per fitted member"),
        (["m"], [0.5, 0.5], "one weight per fitted member"),
        (["m", "m"], [1.0, -0.5], "non-negative"),
        (["m"], [0.0], "not all zero"),
    ],
)
def test_weighted_ensemble_rejects_bad_weights(
    members: list[str], weights: list[float], match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        WeightedEnsemble(members, weights).fit()


def test_empty_containers_refuse_to_fit() -> None:
    with pytest.raises(ValueError, match="at least one fitted estimator"):
        FoldBag([]).fit()
    with pytest.raises(ValueError, match="meta-model"):
        StackedEnsemble([LinearRegression()], None).fit()


def test_stacked_ensemble_classification_shapes(
    full_model: LogisticRegression, partial_model: LogisticRegression
) -> None:
    tree = DecisionTreeClassifier(max_depth=3, random_state=0).fit(X3, Y3)
    members = [FoldBag([full_model, partial_model], n_classes=3).fit(), tree]
    oof = [m.predict_proba(X3) for m in members]
    meta = fit_stacker(oof, Y3, n_classes=3, seed=0)
    stacked = StackedEnsemble(members, meta, n_classes=3).fit()
    proba = stacked.predict_proba(X3[:17])
    assert proba.shape == (17, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    pred = stacked.predict(X3[:17])
    assert pred.shape == (17,)
    assert set(pred) <= {0, 1, 2}
    assert (stacked.predict(X3) == Y3).mean() > 0.6


def test_stacked_ensemble_regression_shapes() -> None:
    X, y = make_regression(n_samples=120, n_features=4, noise=1.0, random_state=3)
    a = FoldBag([LinearRegression().fit(X[:60], y[:60])]).fit()
    b = FoldBag([LinearRegression().fit(X[60:], y[60:])]).fit()
    meta = fit_stacker([a.predict(X), b.predict(X)], y, n_classes=0)
    stacked = StackedEnsemble([a, b], meta).fit()
    pred = stacked.predict(X[:9])
    assert pred.shape == (9,)
    assert pred.dtype == np.float64
    assert np.corrcoef(stacked.predict(X), y)[0, 1] > 0.95


def _schema_classes(path: Path) -> list[str]:
    """The ``__class__`` of every object node in a skops file's schema."""
    with zipfile.ZipFile(path) as archive:
        schema = json.loads(archive.read("schema.json"))
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("__loader__") == "ObjectNode":
                found.append(node["__class__"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    return found


def test_ensembles_save_each_fitted_member_once_and_load_it_back(
    tmp_path: Path, full_model: LogisticRegression, partial_model: LogisticRegression
) -> None:
    """``members_``/``estimators_``/``meta_model_`` repeat their parameter's objects: the
    file holds each model once (it held a fold model four times in a weighted ensemble of
    fold bags), and loading restores the fitted attributes as the same objects."""
    from tunelab.bundles import skops_io, trusted_types

    bag = FoldBag([full_model, partial_model], n_classes=3).fit()
    weighted = WeightedEnsemble([bag], [1.0], n_classes=3).fit()
    meta = fit_stacker([bag.predict_proba(X3)], Y3, n_classes=3, seed=0)
    stacked = StackedEnsemble([weighted], meta, n_classes=3).fit()
    sio = skops_io()
    path = tmp_path / "m.skops"
    sio.dump(stacked, path)
    assert sorted(_schema_classes(path)).count("LogisticRegression") == 3  # 2 folds + meta

    loaded = sio.load(path, trusted=trusted_types(["tunelab", "numpy", "python"]))
    np.testing.assert_allclose(loaded.predict_proba(X3), stacked.predict_proba(X3))
    inner = loaded.members_[0]
    assert loaded.members_[0] is loaded.members[0]
    assert loaded.meta_model_ is loaded.meta_model
    assert inner.members_[0] is inner.members[0]
    assert [id(m) for m in inner.members_[0].estimators_] == [
        id(m) for m in inner.members_[0].estimators
    ]
    assert not hasattr(loaded, "_fitted_is_param")

    unfitted = pickle.loads(pickle.dumps(FoldBag([full_model], n_classes=3)))
    assert not hasattr(unfitted, "estimators_")  # an unfitted bag stays unfitted


def test_ensembles_saved_with_both_attributes_still_load(full_model: LogisticRegression) -> None:
    """States written before fitted members were stored once (both attributes) load as
    they are."""
    bag = FoldBag([full_model], n_classes=3).fit()
    old_state = {**bag.__dict__}
    restored = FoldBag.__new__(FoldBag)
    restored.__setstate__(old_state)
    np.testing.assert_allclose(restored.predict_proba(X3), bag.predict_proba(X3))
