"""The held-back rows a bundle keeps for monitoring: the log's columns, any output shape,
a sample when there are too many."""

import numpy as np
import pandas as pd

from tunelab.bundles import held_back_frame


def test_classification_rows_in_the_log_columns() -> None:
    when = pd.to_datetime(["2026-01-01"] * 3)
    X = pd.DataFrame({"x": [1, 2, 3], "when": when, "c": ["a", None, "b"]})
    frame = held_back_frame(X, np.array([0, 1, 1]), np.array([0.2, 0.7, 0.4]), ["no", "yes"])
    assert frame["__y"].tolist() == ["no", "yes", "yes"]
    assert frame["__prediction"].tolist() == ["no", "yes", "no"]
    assert frame["__p:yes"].tolist() == [0.2, 0.7, 0.4]
    np.testing.assert_allclose(frame["__p:no"], [0.8, 0.3, 0.6])
    assert frame["x"].dtype == np.float64
    assert frame["when"].tolist() == ["2026-01-01T00:00:00"] * 3
    assert frame["c"].where(frame["c"].notna(), None).tolist() == ["a", None, "b"]


def test_regression_output_as_a_column_and_sampling() -> None:
    X = pd.DataFrame({"x": np.arange(100.0)})
    frame = held_back_frame(X, np.arange(100.0), np.arange(100.0)[:, None] + 1, None, max_rows=10)
    assert len(frame) == 10
    assert (frame["__prediction"] - frame["__y"]).tolist() == [1.0] * 10
    assert frame["x"].tolist() == frame["__y"].tolist()  # the same rows were kept
