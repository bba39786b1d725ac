"""The harness's metric choice and its scoring of saved predictions."""

import math

import numpy as np
import pandas as pd
import pytest
from benchmarks.metrics import is_better, metric_for, score_predictions


@pytest.mark.parametrize(
    ("task", "name", "greater"),
    [
        ("binary", "roc_auc", True),
        ("multiclass", "log_loss", False),
        ("regression", "rmse", False),
    ],
)
def test_metric_choice_per_task(task: str, name: str, greater: bool) -> None:
    choice = metric_for(task)
    assert choice.name == name
    assert choice.greater_is_better is greater


def test_unknown_task_is_rejected_by_name() -> None:
    with pytest.raises(ValueError, match="ranking"):
        metric_for("ranking")


def test_is_better_follows_the_metric_direction() -> None:
    assert is_better(0.9, 0.8, "binary")
    assert not is_better(0.8, 0.9, "binary")
    assert is_better(0.1, 0.2, "multiclass")
    assert is_better(1.0, 2.0, "regression")
    assert not is_better(1.0, 1.0, "regression")


def test_binary_scores_use_the_second_sorted_label_as_positive() -> None:
    y = pd.Series(["no", "yes", "yes", "no"])
    pred = pd.DataFrame({"yes": [0.1, 0.8, 0.7, 0.4], "no": [0.9, 0.2, 0.3, 0.6]})
    scores = score_predictions("binary", y, pred, ["no", "yes"])
    assert scores["roc_auc"] == pytest.approx(1.0)
    assert scores["accuracy"] == pytest.approx(1.0)
    expected = -np.mean(np.log([0.9, 0.8, 0.7, 0.6]))
    assert scores["log_loss"] == pytest.approx(expected)


def test_multiclass_columns_are_aligned_by_label_and_missing_class_gets_zero() -> None:
    y = pd.Series([0, 1, 2, 1])
    # The system never predicted class "2": that column is missing, its probability is 0.
    pred = pd.DataFrame({"1": [0.2, 0.9, 0.5, 0.6], "0": [0.8, 0.1, 0.5, 0.4]})
    scores = score_predictions("multiclass", y, pred, ["0", "1", "2"])
    assert scores["accuracy"] == pytest.approx(0.75)
    assert scores["log_loss"] > 5  # the third row was certain to be wrong: huge loss


def test_regression_scores() -> None:
    y = pd.Series([1.0, 2.0, 3.0])
    scores = score_predictions("regression", y, pd.DataFrame({"prediction": [1.0, 2.0, 5.0]}), [])
    assert scores["rmse"] == pytest.approx(math.sqrt(4 / 3))
    assert scores["r2"] == pytest.approx(1 - 4 / 2)


def test_wrong_length_or_nan_predictions_are_errors() -> None:
    y = pd.Series([1.0, 2.0])
    with pytest.raises(ValueError, match="1 predictions for 2"):
        score_predictions("regression", y, pd.DataFrame({"prediction": [1.0]}), [])
    with pytest.raises(ValueError, match="NaN"):
        score_predictions("regression", y, pd.DataFrame({"prediction": [1.0, np.nan]}), [])
    with pytest.raises(ValueError, match="'prediction'"):
        score_predictions("regression", y, pd.DataFrame({"pred": [1.0, 2.0]}), [])
