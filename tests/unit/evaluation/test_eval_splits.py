"""Split invariants: disjoint parts, coverage, stratification, groups, time order."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tunelab.entities import ConfigError, SplitConfig, SplitKind
from tunelab.evaluation import Splits, make_splits, split_summary


def _check_basic(splits: Splits, n: int) -> None:
    test = set(splits.test_index.tolist())
    for train, valid in splits.folds:
        assert not test & set(train)
        assert not test & set(valid)
        assert not set(train) & set(valid)
        assert len(valid) > 0
        assert len(train) > 0
        assert max([*train, *valid]) < n


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(30, 200),
    k=st.integers(2, 4),
    folds=st.sampled_from([2, 3, 5]),
    test_ratio=st.sampled_from([0.0, 0.1, 0.25]),
    seed=st.integers(0, 1000),
    repeated=st.booleans(),
)
def test_cv_invariants(
    n: int, k: int, folds: int, test_ratio: float, seed: int, repeated: bool
) -> None:
    y = np.arange(n) % k
    kind = SplitKind.REPEATED_CV if repeated else SplitKind.CV
    cfg = SplitConfig(kind=kind, folds=folds, repeats=2, test_ratio=test_ratio)
    splits = make_splits(y, cfg, seed=seed)
    _check_basic(splits, n)
    rest = np.setdiff1d(np.arange(n), splits.test_index)
    counts = np.bincount(np.concatenate([v for _, v in splits.folds]), minlength=n)
    assert (counts[splits.test_index] == 0).all()
    assert (counts[rest] == (2 if repeated else 1)).all()
    assert len(splits.folds) == folds * (2 if repeated else 1)
    for train, valid in splits.folds:
        assert len(train) + len(valid) == len(rest)


def test_cv_stratified_class_shares() -> None:
    y = np.array([0] * 180 + [1] * 20)
    splits = make_splits(y, SplitConfig(kind=SplitKind.CV, folds=5, test_ratio=0.2), seed=0)
    assert (y[splits.test_index] == 1).sum() == 4
    for _, valid in splits.folds:
        assert (y[valid] == 1).sum() in (3, 4)
    assert "stratified" in splits.description


@settings(max_examples=20, deadline=None)
@given(n=st.integers(20, 300), seed=st.integers(0, 100), shuffle=st.booleans())
def test_holdout_partition(n: int, seed: int, shuffle: bool) -> None:
    y = np.arange(n) % 2
    splits = make_splits(y, SplitConfig(kind=SplitKind.HOLDOUT, shuffle=shuffle), seed=seed)
    _check_basic(splits, n)
    ((train, valid),) = splits.folds
    assert sorted([*train, *valid, *splits.test_index]) == list(range(n))
    assert abs(len(splits.test_index) - 0.2 * n) <= 2


@pytest.mark.parametrize(
    ("ratios", "field"),
    [
        ((0.5, 0.2, 0.2), "sum to 1"),
        ((0.8, 0.0, 0.2), "valid"),
        ((1.0, 0.0, 0.0), r"ratios\.train"),
        ((-0.1, 0.6, 0.5), r"ratios\.train"),
    ],
)
def test_holdout_bad_ratios(ratios: tuple[float, float, float], field: str) -> None:
    with pytest.raises(ConfigError, match=field):
        make_splits(np.arange(50) % 2, SplitConfig(kind=SplitKind.HOLDOUT, ratios=ratios))


def test_other_config_errors() -> None:
    y = np.arange(50) % 2
    with pytest.raises(ConfigError, match="test_ratio"):
        make_splits(y, SplitConfig(test_ratio=1.0))
    with pytest.raises(ConfigError, match="folds"):
        make_splits(y, SplitConfig(folds=1))
    with pytest.raises(ConfigError, match="'grp'"):
        make_splits(
            y, SplitConfig(kind=SplitKind.GROUP, column="grp"), frame=pd.DataFrame({"a": y})
        )
    with pytest.raises(ConfigError, match="column"):
        make_splits(y, SplitConfig(kind=SplitKind.GROUP))


def test_holdout_by_column_ranges() -> None:
    frame = pd.DataFrame({"year": np.repeat([2018, 2019, 2020, 2021], 10)})
    cfg = SplitConfig(
        kind=SplitKind.HOLDOUT,
        column="year",
        column_ranges=((2018, 2020), (2020, 2021), (2021, 2022)),
    )
    splits = make_splits(np.zeros(40), cfg, frame=frame)
    ((train, valid),) = splits.folds
    assert set(frame.year[train]) == {2018, 2019}
    assert set(frame.year[valid]) == {2020}
    assert set(frame.year[splits.test_index]) == {2021}
    overlapping = SplitConfig(
        kind=SplitKind.HOLDOUT,
        column="year",
        column_ranges=((2018, 2021), (2020, 2021), (2021, 2022)),
    )
    with pytest.raises(ConfigError, match="overlap"):
        make_splits(np.zeros(40), overlapping, frame=frame)


@settings(max_examples=20, deadline=None)
@given(n_groups=st.integers(8, 30), seed=st.integers(0, 100), stratify=st.booleans())
def test_group_integrity(n_groups: int, seed: int, stratify: bool) -> None:
    rng = np.random.default_rng(seed)
    groups = rng.integers(0, n_groups, 200)
    frame = pd.DataFrame({"user": groups})
    y = rng.integers(0, 2, 200)
    cfg = SplitConfig(kind=SplitKind.GROUP, column="user", folds=3, stratify=stratify)
    try:
        splits = make_splits(y, cfg, frame=frame, seed=seed)
    except ConfigError:
        return  # too few groups left outside the test part
    _check_basic(splits, 200)
    test_groups = set(groups[splits.test_index])
    for train, valid in splits.folds:
        assert not set(groups[train]) & set(groups[valid])
        assert not test_groups & set(groups[valid])
        assert not test_groups & set(groups[train])


def test_time_order() -> None:
    rng = np.random.default_rng(0)
    stamps = pd.Series(pd.date_range("2020-01-01", periods=100, freq="D")).sample(
        frac=1, random_state=0
    )
    frame = pd.DataFrame({"ts": stamps.to_numpy()})
    splits = make_splits(
        rng.normal(size=100), SplitConfig(kind=SplitKind.TIME, column="ts", folds=4), frame=frame
    )
    ts = frame["ts"]
    assert ts[splits.test_index].min() > ts.drop(splits.test_index).max()
    assert len(splits.test_index) == 20
    for train, valid in splits.folds:
        assert ts[train].max() < ts[valid].min()
    in_row_order = make_splits(np.zeros(50), SplitConfig(kind=SplitKind.TIME, folds=3))
    assert in_row_order.test_index.tolist() == list(range(40, 50))


def test_split_summary_counts() -> None:
    y = np.array(["a"] * 30 + ["b"] * 20)
    splits = make_splits(y, SplitConfig(kind=SplitKind.CV, folds=5, test_ratio=0.2))
    summary = split_summary(splits, y)
    assert summary["test"]["n"] == 10
    assert summary["test"]["class_counts"] == {"a": 6, "b": 4}
    assert len(summary["folds"]) == 5
    assert sum(f["valid"]["n"] for f in summary["folds"]) == 40
