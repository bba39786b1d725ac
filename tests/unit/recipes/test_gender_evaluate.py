"""Split by user, bootstrap intervals and age groups."""

import numpy as np
import pandas as pd
import pytest

from tunelab.entities import DataError
from tunelab.recipes.gender._evaluate import per_age_group, score, split_by_user


def _frame(n: int = 600) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {"user_id": [f"u{i}" for i in rng.integers(0, 150, size=n)], "x": rng.random(n)}
    )


def test_split_by_user_keeps_each_user_on_one_side() -> None:
    frame = _frame()
    train, test = split_by_user(frame, test_size=0.2, seed=3)
    assert len(train) + len(test) == len(frame)
    assert not set(train["user_id"]) & set(test["user_id"])
    assert 0.1 < test["user_id"].nunique() / frame["user_id"].nunique() < 0.3


def test_split_needs_user_ids() -> None:
    with pytest.raises(DataError, match="user_id"):
        split_by_user(pd.DataFrame({"x": [1, 2]}))


def test_score_intervals_contain_the_estimate_and_ratio_is_paired() -> None:
    rng = np.random.default_rng(1)
    n = 800
    y = rng.integers(0, 2, size=n)
    proba = np.clip(0.5 + 0.3 * (2 * y - 1) + rng.normal(0, 0.3, n), 0, 1)
    pred = (proba >= 0.5).astype(int)
    groups = np.arange(n) // 2
    post = np.full(n, 0.8)
    s = score(y, pred, proba, groups, bayes_posterior=post, n_boot=300)
    for key in ("accuracy", "macro_f1", "roc_auc"):
        lo, hi = s.ci[key]
        assert lo <= s.values[key] <= hi
        assert hi - lo < 0.15
    assert s.values["accuracy"] == pytest.approx(np.mean(pred == y))
    assert s.ratio_to_bayes == pytest.approx(s.values["accuracy"] / 0.8)
    assert s.ratio_ci is not None
    assert s.ratio_ci[0] <= s.ratio_to_bayes <= s.ratio_ci[1]


def test_per_age_group_uses_the_lab_thresholds() -> None:
    y = np.array([1, 0, 1, 0, 1])
    pred = np.array([1, 0, 0, 0, 1])
    age = pd.Series([20, 24, 25, 60, None], dtype="Int64")
    table = per_age_group(y, pred, age).set_index("group")
    assert table.loc["total", "n"] == 5
    assert table.loc["young", "n"] == 2
    assert table.loc["young", "accuracy"] == 1.0
    assert table.loc["middle", "accuracy"] == 0.0
    assert table.loc["unknown", "n"] == 1
