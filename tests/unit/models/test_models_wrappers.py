"""tunelab's small estimators: ThreadLimited, FeasibleNuSVC, SignSplit."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import Ridge
from sklearn.svm import NuSVC

from tunelab.entities import TaskType
from tunelab.models import FeasibleNuSVC, ModelContext, ThreadLimited, get_model_spec


def test_thread_limited_follows_the_sklearn_contract() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = (X[:, 0] > 0).astype(int)
    est = ThreadLimited(HistGradientBoostingClassifier(max_iter=20), n_jobs=1)
    assert is_classifier(est)
    assert clone(est).get_params()["estimator__max_iter"] == 20
    est.fit(X, y)
    np.testing.assert_array_equal(est.classes_, [0, 1])
    assert est.predict_proba(X).shape == (200, 2)
    assert (est.predict(X) == y).mean() > 0.9
    reg = ThreadLimited(Ridge(), n_jobs=-1).fit(X, X[:, 0])
    assert is_regressor(reg)
    assert not hasattr(reg, "predict_proba")


def test_nu_svc_lowers_an_infeasible_nu_on_imbalanced_data() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4))
    y = np.r_[np.zeros(270, dtype=int), np.ones(30, dtype=int)]
    X[y == 1] += 1.5
    with pytest.raises(ValueError, match="infeasible"):
        NuSVC(nu=0.8).fit(X, y)
    est = FeasibleNuSVC(nu=0.8).fit(X, y)
    assert est.nu == 0.8  # the parameter is untouched
    assert est.nu_ < 2 * 30 / 300
    spec = get_model_spec("nu_svc")
    clf = spec.fit(spec.make({"nu": 0.8}, ModelContext(TaskType.BINARY, 300, 4, 2)), X, y)
    np.testing.assert_allclose(clf.predict_proba(X).sum(axis=1), 1.0)


def test_multinomial_nb_handles_negative_input() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3)) - 5.0  # all negative
    y = (X[:, 0] > -5.0).astype(int)
    spec = get_model_spec("multinomial_nb")
    est = spec.fit(spec.make({}, ModelContext(TaskType.BINARY, 300, 3, 2)), X, y)
    assert (est.predict(X) == y).mean() > 0.8
