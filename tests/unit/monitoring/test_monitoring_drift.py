"""Drift statistics on arrays: method choice by reference size and kind, verdicts, PSI,
missing share, unseen categories, per-column rules, the columnar log and CBPE."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from tunelab.bundles import reference_statistics
from tunelab.entities import TaskType
from tunelab.monitoring import (
    ColumnRule,
    DriftOptions,
    column_drift,
    decode_batches,
    drift_report,
    encode_batch,
    estimate,
    inputs_of,
    probabilities_of,
    window,
)


def table(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "num": rng.normal(10, 2, n),
            "cat": rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2]),
            "flag": rng.choice(["y", "n"], n),
            "few": rng.integers(0, 3, n).astype(float),
        }
    )


@pytest.mark.parametrize(
    ("n_reference", "methods"),
    [
        (800, {"num": "ks", "cat": "chisquare", "flag": "z", "few": "chisquare"}),
        (3000, {"num": "wasserstein", "cat": "jensenshannon", "flag": "jensenshannon",
                "few": "jensenshannon"}),
    ],
)  # fmt: skip
def test_methods_follow_reference_size_and_kind(n_reference: int, methods: dict[str, str]) -> None:
    stats = reference_statistics(table(n_reference, 0))
    report = drift_report(stats, table(1000, 1))
    assert {c["name"]: c["method"] for c in report["columns"]} == methods
    assert report["dataset_drift"] is False


def test_ks_score_is_scipys_p_value_on_a_small_reference() -> None:
    reference, current = table(600, 0), table(300, 1)
    result = column_drift("num", reference_statistics(reference)["num"], current["num"])
    expected = sps.ks_2samp(reference["num"], current["num"]).pvalue
    assert result["score"] == pytest.approx(expected)


def test_wasserstein_is_normalised_by_the_reference_std() -> None:
    reference = table(5000, 0)
    current = reference.copy()
    current["num"] = current["num"] + 2 * reference["num"].std(ddof=0)
    result = column_drift("num", reference_statistics(reference)["num"], current["num"])
    assert result["score"] == pytest.approx(2.0, rel=0.02)
    assert result["drifted"] is True
    assert result["psi"] > 1.0


def test_missing_share_unseen_categories_and_rules() -> None:
    stats = reference_statistics(table(3000, 0))
    current = table(400, 2)
    current.loc[:99, "num"] = np.nan
    current.loc[:49, "cat"] = "zzz"
    result = column_drift("num", stats["num"], current["num"])
    assert result["missing_share"] == pytest.approx(0.25)
    cat = column_drift("cat", stats["cat"], current["cat"])
    assert cat["unseen_categories"] == ["zzz"]
    strict = column_drift("cat", stats["cat"], current["cat"], ColumnRule(threshold=0.0))
    assert strict["drifted"] is True
    psi = column_drift("num", stats["num"], current["num"], ColumnRule(method="psi"))
    assert psi["method"] == "psi"
    assert psi["threshold"] == 0.1


def test_dataset_drift_uses_the_share_and_min_rows() -> None:
    stats = reference_statistics(table(3000, 0))
    current = table(1000, 3)
    current["num"] = current["num"] + 10
    report = drift_report(stats, current, DriftOptions(drift_share=0.25))
    assert report["drift_share"] == pytest.approx(0.25)
    assert report["dataset_drift"] is True
    assert drift_report(stats, current)["dataset_drift"] is False  # default share 0.5
    few = drift_report(stats, current.head(5))
    assert few["status"] == "not_enough_data"
    assert few["dataset_drift"] is None
    with pytest.raises(ValueError, match="unknown drift method"):
        DriftOptions.from_dict({"columns": {"num": {"method": "nope"}}})


def test_old_statistics_without_sketch_still_work() -> None:
    stats = reference_statistics(table(3000, 0))["num"]
    old = {k: v for k, v in stats.items() if k not in ("sketch", "sample", "n_unique")}
    result = column_drift("num", old, table(2000, 1)["num"])
    assert result["method"] == "wasserstein"
    assert result["drifted"] is False


def test_the_columnar_log_round_trips() -> None:
    requests = [
        {
            "inputs": [{"num": 1, "cat": "a"}, {"num": None, "cat": None}],
            "outputs": {"predictions": ["y", "n"], "probabilities": [{"n": 0.2, "y": 0.8},
                                                                     {"n": 0.6, "y": 0.4}]},
            "prediction_ids": ["p-0", "p-1"],
            "at": 100.0,
            "model_id": "m",
        },
        {
            "inputs": [{"num": 2.5, "cat": 7}],
            "outputs": {"predictions": ["y"], "probabilities": [{"n": 0.1, "y": 0.9}]},
            "prediction_ids": ["q-0"],
            "at": 200.0,
            "model_id": "m",
        },
    ]  # fmt: skip
    blob, n = encode_batch(requests, {"num": "numeric", "cat": "categorical"})
    assert n == 3
    frame = decode_batches([blob])
    assert frame["__id"].tolist() == ["p-0", "p-1", "q-0"]
    assert frame["num"].tolist()[0] == 1.0
    assert np.isnan(frame["num"].tolist()[1])
    assert frame["cat"].tolist()[2] == "7"
    assert probabilities_of(frame)["y"].tolist() == [0.8, 0.4, 0.9]
    assert list(inputs_of(frame).columns) == ["num", "cat"]
    assert len(window(frame, 150.0, None)) == 1
    assert len(window(frame, None, 150.0)) == 2


def test_cbpe_accuracy_is_the_mean_top_probability() -> None:
    proba = np.array([[0.9, 0.1], [0.3, 0.7], [0.5, 0.5]])
    found = estimate(TaskType.BINARY, proba)
    assert found["accuracy"]["value"] == pytest.approx((0.9 + 0.7 + 0.5) / 3)
    assert found["accuracy"]["estimate"] is True
    assert 0.0 <= found["roc_auc"]["value"] <= 1.0


def test_wasserstein_from_the_sketch_matches_scipy_on_raw_values() -> None:
    reference = table(5000, 0)["num"]
    stats = reference_statistics(reference.to_frame())["num"]
    for seed in (1, 2, 3):
        current = table(800, seed)["num"] + 0.3 * seed
        raw = sps.wasserstein_distance(reference, current) / reference.std(ddof=0)
        found = column_drift("num", stats, current)["score"]
        assert found == pytest.approx(raw, rel=0.01)


@pytest.mark.parametrize("shift", [0.0, 0.05, 0.5])
def test_ks_on_a_large_window_equals_scipy(shift: float) -> None:
    rng = np.random.default_rng(4)
    reference = rng.normal(size=700)
    current = rng.normal(size=30_000) + shift
    current[:500] = np.round(current[:500], 1)  # ties
    expected = sps.ks_2samp(reference, current, method="asymp").pvalue
    stats = reference_statistics(pd.DataFrame({"v": reference}))["v"]
    assert column_drift("v", stats, pd.Series(current))["score"] == pytest.approx(expected)
