"""The sampling hook: synthetic rows when sampling.size exceeds a training part's rows."""

import numpy as np
import pandas as pd

from tunelab.entities import SamplingConfig, TaskType
from tunelab.search import resample_training_rows, synthetic_count
from tunelab.synthetic._augment import _MEMO


def _part(n: int = 60, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "x": rng.normal(size=n),
            # one tag per row: a synthetic row can only carry tags of rows the synthesizer saw
            "tag": [f"row{seed}-{i}" for i in range(n)],
        }
    )
    y = (np.arange(n) % 3 == 0).astype(np.int64)  # a third of class 1
    return X, y


def test_size_above_the_rows_adds_rows_learnt_from_the_part_only() -> None:
    X, y = _part()
    sampling = SamplingConfig(size=300)
    X_out, y_out = resample_training_rows(X, y, sampling, TaskType.BINARY, seed=0, n_rows=100)
    # the part is 60 of 100 training rows: it grows to 60% of the size
    assert len(X_out) == len(y_out) == 180
    assert set(X_out["tag"]) <= set(X["tag"])
    # the real rows are all there, and class shares are kept
    assert set(X["tag"]) <= set(X_out["tag"])
    assert abs(y_out.mean() - y.mean()) < 0.02


def test_synthetic_rows_per_class_when_balancing() -> None:
    X, y = _part()
    sampling = SamplingConfig(size=200, balance_to="minority")
    X_out, y_out = resample_training_rows(X, y, sampling, TaskType.BINARY, seed=1)
    counts = np.bincount(y_out)
    assert counts.sum() == 200
    assert counts[0] == counts[1]
    # each class's synthetic rows come from that class's rows (tags are per row)
    tag_class = dict(zip(X["tag"], y, strict=True))
    assert all(tag_class[t] == c for t, c in zip(X_out["tag"], y_out, strict=True))


def test_regression_models_the_target_with_the_features() -> None:
    rng = np.random.default_rng(3)
    X = pd.DataFrame({"x": rng.normal(size=200)})
    y = 3.0 * X["x"].to_numpy() + 0.1 * rng.normal(size=200)
    X_out, y_out = resample_training_rows(
        X, y, SamplingConfig(size=1000), TaskType.REGRESSION, seed=0
    )
    assert len(X_out) == 1000
    assert np.corrcoef(X_out["x"], y_out)[0, 1] > 0.95


def test_same_seed_same_rows() -> None:
    X, y = _part()
    first = resample_training_rows(X, y, SamplingConfig(size=120), TaskType.BINARY, seed=4)
    _MEMO.clear()  # learnt again, not remembered
    again = resample_training_rows(X, y, SamplingConfig(size=120), TaskType.BINARY, seed=4)
    pd.testing.assert_frame_equal(first[0], again[0])
    assert np.array_equal(first[1], again[1])


def test_no_synthetic_rows_when_not_asked() -> None:
    X, y = _part()
    for sampling in (
        None,
        SamplingConfig(size=60),  # not above the rows
        SamplingConfig(size=40),
        SamplingConfig(size=500, synthesizer="none"),
    ):
        X_out, _y_out = resample_training_rows(X, y, sampling, TaskType.BINARY, seed=0)
        assert len(X_out) == 60
        assert synthetic_count(sampling, 60, 60) == 0
    assert synthetic_count(SamplingConfig(size=500), 40, 50) == 360
