"""infer_task and prepare_target."""

import numpy as np
import pandas as pd
import pytest

from tunelab.data import PreparedTarget, infer_task, prepare_target
from tunelab.entities import ConfigError, DataError, TaskType

RNG = np.random.default_rng(1)


@pytest.mark.parametrize(
    ("values", "task"),
    [
        (["yes", "no"] * 50, TaskType.BINARY),
        ([True, False] * 50, TaskType.BINARY),
        ([0, 1] * 50, TaskType.BINARY),
        ([1.5, 7.25] * 50, TaskType.BINARY),
        (["a", "b", "c"] * 50, TaskType.MULTICLASS),
        (list(range(5)) * 40, TaskType.MULTICLASS),  # few integers
        (list(range(1, 11)) * 3, TaskType.MULTICLASS),  # codes 1..10 in a small table
        (list(RNG.normal(size=200)), TaskType.REGRESSION),
        (list(RNG.integers(0, 1000, size=200)), TaskType.REGRESSION),  # counts/amounts
        ([10.0, 20.0, 35.0, 50.0] * 50, TaskType.MULTICLASS),  # whole-number floats
        ([12, 15, 19, 23, 40, 41, 55, 60, 61, 70] * 3, TaskType.REGRESSION),  # not codes
        ([str(x) for x in RNG.normal(size=100)], TaskType.REGRESSION),  # numbers as text
    ],
)
def test_infer_task(values: list[object], task: TaskType) -> None:
    assert infer_task(pd.Series(values, name="y")) is task


def test_infer_task_ignores_missing_and_rejects_all_missing() -> None:
    assert infer_task(pd.Series(["a", None, "b"])) is TaskType.BINARY
    with pytest.raises(DataError, match=r"'y'.*all missing"):
        infer_task(pd.Series([np.nan, np.nan], name="y"))


def _table(n: int = 100) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "x": RNG.normal(size=n),
            "city": RNG.choice(["a", "b"], size=n),
            "label": RNG.choice(["good", "bad"], size=n),
            "price": RNG.gamma(2.0, 10.0, size=n),
        }
    )


def test_prepare_target_splits_and_drops_missing_rows() -> None:
    df = _table()
    df.loc[[3, 10, 50], "label"] = np.nan
    prepared = prepare_target(df, "label")
    assert isinstance(prepared, PreparedTarget)
    assert prepared.task is TaskType.BINARY
    assert prepared.n_dropped_missing_target == 3
    assert len(prepared.X) == len(prepared.y) == 97
    assert list(prepared.X.columns) == ["x", "city", "price"]
    assert prepared.X.index.tolist() == list(range(97))
    assert prepared.X["x"].iloc[3] == df["x"].iloc[4]  # row 3 was dropped
    assert df["label"].isna().sum() == 3  # the input is untouched


def test_regression_with_numbers_stored_as_text() -> None:
    df = _table()
    df["price"] = [f"{v:.2f}" for v in df["price"]]
    df.loc[0, "price"] = "unknown"
    prepared = prepare_target(df, "price")
    assert prepared.task is TaskType.REGRESSION
    assert prepared.y.dtype == np.float64
    assert prepared.n_dropped_missing_target == 1


def test_float_labels_become_integers_for_classification() -> None:
    df = pd.DataFrame({"x": range(10), "y": [0.0, 1.0] * 5})
    assert prepare_target(df, "y").y.dtype == np.int64


def test_missing_target_column_lists_close_matches() -> None:
    with pytest.raises(DataError, match=r"'lable' not found.*'label'"):
        prepare_target(_table(), "lable")
    with pytest.raises(DataError, match=r"'LABEL' not found.*'label'"):
        prepare_target(_table(), "LABEL")
    with pytest.raises(DataError, match=r"'zzz' not found.*columns: 'x'"):
        prepare_target(_table(), "zzz")


def test_all_missing_target() -> None:
    df = _table().assign(label=np.nan)
    with pytest.raises(DataError, match=r"'label'.*every row"):
        prepare_target(df, "label")


def test_constant_target() -> None:
    with pytest.raises(DataError, match=r"'label'.*constant"):
        prepare_target(_table().assign(label="good"), "label")


def test_single_class_left_after_dropping_missing() -> None:
    df = _table().assign(label=["good"] * 99 + [None])
    with pytest.raises(DataError, match=r"constant"):
        prepare_target(df, "label", task="binary")


def test_regression_on_text_target() -> None:
    with pytest.raises(DataError, match=r"'label' is not numeric.*regression"):
        prepare_target(_table(), "label", task=TaskType.REGRESSION)


def test_given_task_is_checked() -> None:
    df = _table().assign(label=RNG.choice(["a", "b", "c"], size=100))
    with pytest.raises(DataError, match=r"3 classes.*binary"):
        prepare_target(df, "label", task="binary")
    assert prepare_target(df, "label", task="multiclass").task is TaskType.MULTICLASS
    with pytest.raises(DataError, match=r"2 classes.*binary"):
        prepare_target(_table(), "label", task="multiclass")
    with pytest.raises(DataError, match=r"fractional.*regression"):
        prepare_target(_table(), "price", task="multiclass")
    with pytest.raises(ConfigError, match=r"unknown task 'ranking'"):
        prepare_target(_table(), "label", task="ranking")
    with pytest.raises(ConfigError, match=r"task 'clustering' has no target"):
        prepare_target(_table(), "label", task="clustering")


def test_given_regression_on_integer_codes_is_allowed() -> None:
    df = pd.DataFrame({"x": range(60), "y": [0, 1, 2] * 20})
    prepared = prepare_target(df, "y", task="regression")
    assert prepared.task is TaskType.REGRESSION
    assert prepared.y.dtype == np.float64


def test_keyword_and_korean_target_names() -> None:
    df = pd.DataFrame({"class": ["a", "b"] * 5, "나이": range(10)})
    assert prepare_target(df, "class").task is TaskType.BINARY
    assert prepare_target(df, "나이").task is TaskType.MULTICLASS
