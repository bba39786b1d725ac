"""Default boosters stay sane on a class seen a handful of times among thousands of rows.

With an unregularised leaf value -G/H, a leaf holding one row of a class whose prior is
~1e-4 has H near 0: one round moved that class's logit by hundreds, and every other row of
the leaf became certain of the rare class (shuttle: LightGBM's test log-loss 0.17, scikit-
learn's histogram boosting 7.9; 0.0006-0.0009 with the bounds of ``models._base``).
"""

from __future__ import annotations

import numpy as np
import pytest

from tunelab.entities import TaskType
from tunelab.models import ModelContext, get_model_spec


def _rare_class_table() -> tuple[np.ndarray, np.ndarray]:
    """Two balanced, separable classes and a third of 2 rows among 5,000."""
    rng = np.random.default_rng(0)
    X = rng.uniform(size=(5000, 3))
    y = (X[:, 0] > 0.5).astype(np.int64)
    rare = rng.choice(np.flatnonzero(y == 0), 2, replace=False)
    X[rare, 1] = 0.3
    y[rare] = 2
    return X, y


@pytest.mark.parametrize("name", ["lightgbm", "hist_gradient_boosting", "xgboost"])
def test_one_default_round_does_not_make_rows_certain_of_a_rare_class(name: str) -> None:
    spec = get_model_spec(name)
    X, y = _rare_class_table()
    ctx = ModelContext(TaskType.MULTICLASS, len(X), X.shape[1], 3)
    assert spec.rounds_param is not None
    est = spec.fit(spec.make({spec.rounds_param: 1}, ctx), X, y)
    proba = est.predict_proba(X)
    # one round of learning rate 0.1 from the priors (rare: 4e-4) cannot justify certainty
    assert proba[y != 2, 2].max() < 0.05


@pytest.mark.parametrize("name", ["lightgbm", "hist_gradient_boosting"])
def test_regression_defaults_keep_the_libraries_unbounded_leaves(name: str) -> None:
    """A regression leaf's value is in the target's units: no cap, no added penalty."""
    spec = get_model_spec(name)
    ctx = ModelContext(TaskType.REGRESSION, 1000, 3, 0)
    params = spec.default_params(ctx)
    assert "max_delta_step" not in params
    assert "l2_regularization" not in params
