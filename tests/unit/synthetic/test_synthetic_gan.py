"""The CTGAN-style synthesizer: columns and dtypes, determinism, that it learns, few rows."""

import numpy as np
import pandas as pd
import pytest

from tunelab.synthetic import TabularGANSynthesizer, column_distances, synthesize_rows
from tunelab.synthetic._augment import _MEMO
from tunelab.synthetic._gan import MIN_STEPS

pytest.importorskip("torch")


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 300
    group = rng.choice(["a", "b"], n, p=[0.7, 0.3])
    return pd.DataFrame(
        {
            "x": np.where(group == "a", 0.0, 6.0) + rng.normal(size=n),
            "count": rng.poisson(4, n).astype(np.int64),
            "group": group,
        }
    )


def test_same_seed_same_rows_with_the_fitted_columns(table: pd.DataFrame) -> None:
    first = TabularGANSynthesizer(steps=20, random_state=4).fit(table).sample(30)
    again = TabularGANSynthesizer(steps=20, random_state=4).fit(table).sample(30)
    pd.testing.assert_frame_equal(first, again)
    assert list(first.columns) == list(table.columns)
    assert first["count"].dtype == np.int64
    assert set(first["group"]) <= {"a", "b"}
    assert first["x"].between(table["x"].min(), table["x"].max()).all()


def test_training_brings_the_rows_closer(table: pd.DataFrame) -> None:
    def worst(steps: int) -> float:
        drawn = TabularGANSynthesizer(steps=steps, random_state=0).fit(table).sample(600)
        return max(d["value"] for d in column_distances(table, drawn))

    untrained, trained = worst(1), worst(300)
    assert trained < untrained
    assert trained < 0.25


def test_fewer_rows_than_a_pack_are_copied() -> None:
    few = pd.DataFrame({"x": [1.0, 2.0, 3.0], "c": ["p", "q", "p"]})
    drawn = TabularGANSynthesizer(random_state=0).fit(few).sample(8)
    assert len(drawn) == 8
    assert set(map(tuple, drawn.to_numpy().tolist())) <= set(map(tuple, few.to_numpy().tolist()))


def test_the_hook_draws_gan_rows_once_per_input(
    table: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tunelab.synthetic._augment.GAN_STEPS", 30)
    X, y = table[["x", "count"]], (table["group"] == "b").to_numpy().astype(np.int64)
    first = synthesize_rows(
        X.head(40), y[:40], 12, classification=True, seed=1, synthesizer="ctgan"
    )
    again = synthesize_rows(
        X.head(40), y[:40], 12, classification=True, seed=1, synthesizer="ctgan"
    )
    pd.testing.assert_frame_equal(first[0], again[0])  # from the memo
    _MEMO.clear()
    fresh = synthesize_rows(
        X.head(40), y[:40], 12, classification=True, seed=1, synthesizer="ctgan"
    )
    pd.testing.assert_frame_equal(first[0], fresh[0])  # learnt again: the same rows
    assert len(first[0]) == 12
    assert set(first[1]) <= {0, 1}


def test_a_deadline_cuts_training_and_says_so(table: pd.DataFrame) -> None:
    import time

    full = TabularGANSynthesizer(steps=60, random_state=2).fit(table)
    assert full.steps_done_ == 60
    assert full.cut_ is False
    past = time.monotonic() - 1.0  # no time left: only the minimum is trained
    cut = TabularGANSynthesizer(steps=60, random_state=2, deadline=past).fit(table)
    assert cut.steps_done_ == MIN_STEPS < 60
    assert cut.cut_ is True
    assert len(cut.sample(10)) == 10
    later = time.monotonic() + 3600.0  # a far deadline changes nothing
    kept = TabularGANSynthesizer(steps=30, random_state=2, deadline=later).fit(table)
    assert kept.steps_done_ == 30
    assert kept.cut_ is False


def test_synthesize_rows_logs_each_fit_and_what_the_deadline_cut(
    table: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    monkeypatch.setattr("tunelab.synthetic._augment.GAN_STEPS", 40)
    _MEMO.clear()
    X, y = table[["x", "count"]], (table["group"] == "b").to_numpy().astype(np.int64)
    log: list[dict] = []
    rows, _labels = synthesize_rows(
        X.head(60), y[:60], 10, classification=True, seed=3, synthesizer="ctgan",
        deadline=time.monotonic() - 1.0, log=log,
    )  # fmt: skip
    assert len(rows) == 10
    assert [entry["class"] for entry in log] == ["0", "1"]  # one synthesizer per class
    assert all(entry["steps_done"] == MIN_STEPS and entry["cut"] for entry in log)
    assert all(entry["steps"] == 40 for entry in log)
    again: list[dict] = []
    synthesize_rows(
        X.head(60), y[:60], 10, classification=True, seed=3, synthesizer="ctgan", log=again
    )  # the memo: the same rows, reported as reused
    assert [entry["steps_done"] for entry in again] == [MIN_STEPS, MIN_STEPS]
    assert all(entry["reused"] for entry in again)
    _MEMO.clear()
