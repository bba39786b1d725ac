"""profile_dataset, find_leakage and fingerprint."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tunelab.data import find_leakage, fingerprint, prepare_target, profile_dataset
from tunelab.entities import ColumnKind, DataError, TaskType

RNG = np.random.default_rng(2)


@pytest.fixture(scope="module")
def credit(test_data: Path) -> pd.DataFrame:
    return pd.read_parquet(test_data / "credit-g.parquet")


def test_profile_of_credit_g(credit: pd.DataFrame) -> None:
    profile = profile_dataset(credit, target="class")
    assert (profile.n_rows, profile.n_columns) == (1000, 21)
    assert profile.task == "binary"
    assert profile.class_counts == {"good": 700, "bad": 300}
    assert profile.n_target_missing == 0
    assert profile.leakage == ()
    age = profile.column("age")
    assert age.kind is ColumnKind.NUMERIC
    assert age.min == credit["age"].min()
    assert age.max == credit["age"].max()
    assert age.mean == pytest.approx(credit["age"].mean())
    assert age.std == pytest.approx(credit["age"].std())
    edges, counts = age.histogram
    assert len(edges) == 21
    assert len(counts) == 20
    assert sum(counts) == 1000
    purpose = profile.column("purpose")
    assert purpose.kind is ColumnKind.CATEGORICAL
    assert purpose.n_unique == credit["purpose"].nunique()
    assert purpose.most_frequent == credit["purpose"].value_counts().index[0]
    labels, counts = purpose.histogram
    assert len(labels) == len(counts) == min(20, purpose.n_unique)
    assert list(counts) == sorted(counts, reverse=True)
    assert all(c.n_missing == 0 and c.missing_ratio == 0.0 for c in profile.columns)


def test_profile_without_target() -> None:
    df = pd.DataFrame({"a": [1.0, 2.0, np.nan, 4.0], "b": ["x", "y", "x", None]})
    profile = profile_dataset(df)
    assert profile.target is None
    assert profile.class_counts == {}
    assert profile.leakage == ()
    a, b = profile.column("a"), profile.column("b")
    assert (a.n_missing, a.missing_ratio, a.n_unique) == (1, 0.25, 3)
    assert (b.n_missing, b.n_unique, b.most_frequent) == (1, 2, "x")
    assert b.histogram == (("x", "y"), (2, 1))
    with pytest.raises(KeyError):
        profile.column("c")


def test_profile_of_mixed_types_datetimes_booleans_and_empty_columns() -> None:
    n = 120
    df = pd.DataFrame(
        {
            "mixed": [str(v) for v in range(n - 2)] + ["?", "n/a"],
            "when": pd.date_range("2020-01-01", periods=n, freq="D"),
            "flag": [True, False, True] * (n // 3),
            "empty": [np.nan] * n,
        }
    )
    profile = profile_dataset(df)
    mixed = profile.column("mixed")
    assert mixed.kind is ColumnKind.NUMERIC
    assert mixed.n_missing == 2  # values that are not numbers count as missing
    assert mixed.max == n - 3
    when = profile.column("when")
    assert when.kind is ColumnKind.DATETIME
    assert when.min == "2020-01-01T00:00:00"
    assert when.max.startswith("2020-04-29")
    assert len(when.histogram[0]) == len(when.histogram[1]) == 20
    flag = profile.column("flag")
    assert flag.kind is ColumnKind.BOOLEAN
    assert flag.mean == pytest.approx(2 / 3)
    assert flag.most_frequent is True
    assert flag.histogram == (("True", "False"), (80, 40))
    empty = profile.column("empty")
    assert (empty.kind, empty.n_unique, empty.missing_ratio) == (ColumnKind.CATEGORICAL, 0, 1.0)


def test_profile_of_a_ten_thousand_level_categorical() -> None:
    n = 30_000
    df = pd.DataFrame(
        {"shop": [f"s{i % 10_000}" for i in RNG.permutation(n)], "y": RNG.normal(size=n)}
    )
    profile = profile_dataset(df, target="y")
    shop = profile.column("shop")
    assert shop.kind is ColumnKind.CATEGORICAL
    assert shop.n_unique == 10_000
    assert len(shop.histogram[0]) == 20
    assert set(shop.histogram[1]) == {3}
    assert profile.task == "regression"
    assert profile.class_counts == {}
    assert profile.leakage == ()


def test_profile_counts_missing_target_and_rejects_bad_target() -> None:
    df = pd.DataFrame({"x": range(50), "y": ["a", "b", None, "c", "a"] * 10})
    profile = profile_dataset(df, target="y")
    assert profile.task == "multiclass"
    assert profile.n_target_missing == 10
    assert profile.class_counts == {"a": 20, "b": 10, "c": 10}
    with pytest.raises(DataError, match=r"'nope' not found"):
        profile_dataset(df, target="nope")


def test_profile_rejects_duplicate_columns() -> None:
    df = pd.DataFrame([[1, 2], [3, 4]], columns=["a", "a"])
    with pytest.raises(DataError, match=r"duplicate.*'a'"):
        profile_dataset(df)


def _classification_table(n: int = 3000) -> pd.DataFrame:
    x = RNG.normal(size=n)
    noise = RNG.normal(size=n)
    label = np.where(x + noise > 0, "yes", "no")
    return pd.DataFrame({"x": x, "color": RNG.choice(["r", "g", "b"], size=n), "label": label})


def test_leakage_copy_of_target_is_found() -> None:
    df = _classification_table().assign(answer=lambda d: d["label"])
    warnings = profile_dataset(df, target="label").leakage
    assert [w.column for w in warnings] == ["answer"]
    assert warnings[0].metric == "identical"
    assert "'answer'" in warnings[0].message


def test_leakage_renamed_labels_and_thresholds_are_found() -> None:
    df = _classification_table()
    df["code"] = df["label"].map({"yes": "Y", "no": "N"})  # same information, other labels
    df["after"] = np.where(df["label"] == "yes", 10.0, -10.0) + RNG.normal(size=len(df))
    prepared = prepare_target(df, "label")
    found = {w.column: w for w in find_leakage(prepared.X, prepared.y, prepared.task)}
    assert set(found) == {"code", "after"}
    assert found["after"].metric == "balanced_accuracy"
    assert found["after"].score >= 0.99


def test_leakage_in_regression() -> None:
    n = 4000
    y = RNG.lognormal(size=n)
    X = pd.DataFrame(
        {
            "scaled": y * 1000 + RNG.normal(scale=1e-3, size=n),  # a unit change of the target
            "useful": y + RNG.normal(scale=y.std(), size=n),  # predictive, not leaking
        }
    )
    warnings = find_leakage(X, pd.Series(y, name="price"), TaskType.REGRESSION)
    assert [w.column for w in warnings] == ["scaled"]
    assert warnings[0].metric == "r2"


def test_no_leakage_on_credit_g_and_ids_are_skipped(credit: pd.DataFrame) -> None:
    prepared = prepare_target(credit, "class")
    X = prepared.X.assign(row_id=np.arange(len(prepared.X)))
    assert find_leakage(X, prepared.y, prepared.task) == ()


def test_fingerprint_is_stable_and_sensitive() -> None:
    df = pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"]})
    fp = fingerprint(df)
    assert len(fp) == 64
    assert fp == fingerprint(df.copy())
    assert fingerprint(df.set_axis([10, 11, 12])) == fp  # index ignored
    assert fingerprint(df.assign(a=[1, 2, 4])) != fp
    assert fingerprint(df.rename(columns={"a": "c"})) != fp
    assert fingerprint(df.astype({"a": "float64"})) != fp
    assert fingerprint(df.iloc[::-1]) != fp
    assert fingerprint(pd.DataFrame()) != fingerprint(pd.DataFrame({"a": []}))


def test_profile_of_tz_aware_and_constant_columns() -> None:
    df = pd.DataFrame(
        {
            "when": pd.date_range("2024-03-01", periods=40, freq="D", tz="Asia/Seoul"),
            "const": [7.0] * 40,
        }
    )
    profile = profile_dataset(df)
    labels, counts = profile.column("when").histogram
    assert labels[0] == "2024-03-01T00:00:00+09:00"
    assert sum(counts) == 40
    assert profile.column("const").histogram == ((7.0, 7.0), (40,))


def test_leakage_through_a_datetime_feature() -> None:
    n = 600
    stamps = pd.date_range("2023-01-01", periods=n, freq="h", tz="UTC")
    X = pd.DataFrame({"when": stamps[RNG.permutation(n)]})
    y = pd.Series(np.where(X["when"] < stamps[300], "before", "after"), name="period")
    warnings = find_leakage(X, y, TaskType.BINARY)
    assert [w.column for w in warnings] == ["when"]
