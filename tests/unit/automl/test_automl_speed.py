"""infer_limit: the best single model is the best trial that predicts fast enough."""

from typing import Any

import numpy as np
import pandas as pd
import pytest
from automl_frames import CHEAP, classification_frame
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier

from tunelab import AutoML
from tunelab.automl._speed import BATCH_ROWS, choose_single, rows_per_second, tile_rows
from tunelab.entities import ConfigError, TrialStatus
from tunelab.search import SearchResult, TrialData, TrialOutcome, TrialTask


def _automl(**kwargs: Any) -> AutoML:
    settings: dict[str, Any] = {"time_budget": None, "max_trials": 4, "algorithms": CHEAP}
    settings.update(kwargs)
    return AutoML(**settings)


def _outcome(number: int, model: Any, signed_score: float) -> TrialOutcome:
    outcome = TrialOutcome(
        TrialTask(number, "x", {}), TrialStatus.OK, fold_scores=[signed_score], models=[model]
    )
    outcome.details["signed_score"] = signed_score
    return outcome


@pytest.fixture(scope="module")
def slow_best_fast_second() -> tuple[SearchResult, TrialData]:
    """Trial 0 (best) is a brute-force kNN over 20k rows; trial 1 a logistic regression:
    about a hundred times apart in prediction speed on any machine."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(20_000, 8)), columns=[f"f{i}" for i in range(8)])
    y = (X["f0"] + X["f1"] > 0).to_numpy().astype(int)
    knn = KNeighborsClassifier(algorithm="brute", n_jobs=1).fit(X, y)
    linear = LogisticRegression().fit(X, y)
    kept = {0: _outcome(0, knn, 0.95), 1: _outcome(1, linear, 0.90)}
    result = SearchResult([], kept, 0, "trial budget reached", study=None)  # type: ignore[arg-type]
    return result, TrialData(X, y, ((np.arange(10_000), np.arange(10_000, 20_000)),))


def test_tile_rows_repeats_and_cuts() -> None:
    frame = pd.DataFrame({"a": [1, 2, 3]})
    assert tile_rows(frame, 7)["a"].tolist() == [1, 2, 3, 1, 2, 3, 1]


def test_slow_best_is_passed_over_for_a_fast_enough_one(
    slow_best_fast_second: tuple[SearchResult, TrialData],
) -> None:
    result, data = slow_best_fast_second
    knn_rate = rows_per_second(result.kept[0].models, data.X, proba=True, threads=1)  # type: ignore[arg-type]
    fast_rate = rows_per_second(result.kept[1].models, data.X, proba=True, threads=1)  # type: ignore[arg-type]
    assert fast_rate > 10 * knn_rate
    limit = 1 / np.sqrt(knn_rate * fast_rate)  # halfway between the two, geometrically
    choice = choose_single(result, data, infer_limit=limit, proba=True, threads=1, seconds=30)
    assert choice.number == 1
    assert set(choice.rows_per_second) == {0, 1}
    assert choice.note.startswith("trial 1 (rank 2 of 2 kept)")


def test_probe_stops_measuring_a_clearly_slow_model(
    slow_best_fast_second: tuple[SearchResult, TrialData],
) -> None:
    result, data = slow_best_fast_second
    knn = result.kept[0].models[0]  # type: ignore[index]
    calls: list[int] = []

    class Counting:
        def predict_proba(self, X: pd.DataFrame) -> Any:
            calls.append(len(X))
            return knn.predict_proba(X)

    rows_per_second([Counting()], data.X, proba=True, threads=1, required=1e12)
    assert BATCH_ROWS not in calls  # the probe's speed was the answer


def test_infer_limit_nobody_meets_picks_the_fastest_and_says_so() -> None:
    automl = _automl(infer_limit=1e-12).fit(classification_frame(300), target="label")
    speeds = automl.predict_speeds_
    assert len(speeds) >= 2  # every kept trial was measured
    fastest = max(speeds, key=lambda n: speeds[n])
    assert automl.final_.best_number == fastest
    assert "no trial measured meets" in automl.best_single_note_
    assert automl.refit_note_.startswith(f"refitted trial {fastest}")


def test_loose_infer_limit_keeps_the_best_trial() -> None:
    automl = _automl(infer_limit=1.0).fit(classification_frame(300), target="label")
    best = automl.search_.best_number
    assert automl.final_.best_number == best
    assert list(automl.predict_speeds_) == [best]
    assert automl.best_single_note_.startswith(f"trial {best} (rank 1 of")


def test_without_infer_limit_nothing_is_measured() -> None:
    automl = _automl().fit(classification_frame(200), target="label")
    assert automl.predict_speeds_ == {}
    assert automl.best_single_note_ == ""
    assert automl.final_.best_number == automl.search_.best_number


@pytest.mark.parametrize("bad", [0, -1.0])
def test_infer_limit_must_be_positive(bad: float) -> None:
    with pytest.raises(ConfigError, match="infer_limit: must be greater than 0"):
        _automl(infer_limit=bad).fit(classification_frame(100), target="label")


def test_infer_limit_does_not_change_the_final_model() -> None:
    frame = classification_frame(300)
    automl = _automl(infer_limit=1e-12, ensemble="none").fit(frame, target="label")
    best = automl.search_.best_number
    assert automl.final_.members == {best: 1.0}  # the final model is still the best trial
    if automl.final_.best_number != best:  # a faster trial is the best single model
        assert automl.best_model_ is automl.refit_model_
        assert automl.final_.best_single is not automl.model_


def test_speed_is_that_of_the_mean_fold_model(
    slow_best_fast_second: tuple[SearchResult, TrialData],
) -> None:
    """A refit trains the folds' mean rounds: one slow fold model must show in the speed."""
    result, data = slow_best_fast_second
    slow, fast = result.kept[0].models, result.kept[1].models  # kNN ~100 x slower than linear
    fast_rate = rows_per_second(fast, data.X, proba=True, threads=1)  # type: ignore[arg-type]
    slow_rate = rows_per_second(slow, data.X, proba=True, threads=1)  # type: ignore[arg-type]
    mixed = rows_per_second([*fast, *slow], data.X, proba=True, threads=1)  # type: ignore[misc]
    # about twice the slow one's speed (half the rows each), far below the fast one's
    assert slow_rate / 2 < mixed < fast_rate / 5
