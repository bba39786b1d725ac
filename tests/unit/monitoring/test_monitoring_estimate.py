"""Label-free performance estimates fitted on held-back rows track the true metric on a
shifted sample: CBPE with an isotonic calibrator (an over-confident classifier) and DLE
(a regression whose error grows with an input)."""

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import mean_absolute_error, roc_auc_score

from tunelab.entities import TaskType
from tunelab.monitoring import (
    AT,
    ID,
    PREDICTION,
    estimate,
    fit_calibrator,
    fit_error_model,
    performance_report,
)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


def classifier_rows(n: int, seed: int, center: float, spread: float) -> pd.DataFrame:
    """True P(yes | x) = sigmoid(2x); the model says sigmoid(6x) (over-confident)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(center, spread, n)
    truth = np.where(rng.random(n) < _sigmoid(2 * x), "yes", "no")
    p = _sigmoid(6 * x)
    return pd.DataFrame(
        {
            "x": x,
            "__y": truth,
            PREDICTION: np.where(p > 0.5, "yes", "no"),
            "__p:no": 1 - p,
            "__p:yes": p,
        }
    )


def test_calibrated_cbpe_tracks_accuracy_and_auc_on_a_shifted_sample() -> None:
    reference = classifier_rows(4000, seed=0, center=0.0, spread=1.0)
    shifted = classifier_rows(6000, seed=1, center=0.3, spread=0.5)  # nearer the boundary
    calibrator = fit_calibrator(reference, ["no", "yes"])
    assert calibrator is not None
    proba = shifted[["__p:no", "__p:yes"]].to_numpy()
    true_accuracy = float((shifted[PREDICTION] == shifted["__y"]).mean())
    true_auc = roc_auc_score(shifted["__y"] == "yes", shifted["__p:yes"])
    raw = estimate(TaskType.BINARY, proba)
    fitted = estimate(TaskType.BINARY, proba, calibrator)
    assert raw["accuracy"]["value"] - true_accuracy > 0.1  # the over-confident guess
    assert fitted["accuracy"]["value"] == pytest.approx(true_accuracy, abs=0.03)
    assert fitted["accuracy"]["ci_low"] <= true_accuracy + 0.03
    assert fitted["roc_auc"]["value"] == pytest.approx(true_auc, abs=0.03)
    assert abs(raw["roc_auc"]["value"] - true_auc) > abs(fitted["roc_auc"]["value"] - true_auc)
    assert fitted["accuracy"]["estimate"] is True


def test_multiclass_calibrator_rows_sum_to_one() -> None:
    rng = np.random.default_rng(2)
    proba = rng.dirichlet([1, 1, 1], 600)
    truth = np.array(["a", "b", "c"])[proba.argmax(axis=1)]
    frame = pd.DataFrame({"__y": truth, **{f"__p:{c}": proba[:, i] for i, c in enumerate("abc")}})
    calibrator = fit_calibrator(frame, ["a", "b", "c"])
    assert calibrator is not None
    calibrated = calibrator.calibrate(proba)
    assert calibrated.sum(axis=1) == pytest.approx(np.ones(600))
    assert fit_calibrator(frame.iloc[:10], ["a", "b", "c"]) is None  # too few rows


def regression_rows(n: int, seed: int, center: float, share_b: float) -> pd.DataFrame:
    """y = 2x + noise whose scale grows with |x| and is doubled for color b; the model
    predicts 2x."""
    rng = np.random.default_rng(seed)
    x = rng.normal(center, 1.0, n)
    color = np.where(rng.random(n) < share_b, "b", "a")
    scale = (0.2 + np.abs(x)) * np.where(color == "b", 2.0, 1.0)
    y = 2 * x + rng.normal(0, 1, n) * scale
    return pd.DataFrame({"x": x, "color": color, "__y": y, PREDICTION: 2 * x})


def test_dle_tracks_mae_and_rmse_on_a_shifted_sample() -> None:
    reference = regression_rows(5000, seed=3, center=0.0, share_b=0.2)
    shifted = regression_rows(4000, seed=4, center=1.5, share_b=0.6)
    model = fit_error_model(reference)
    assert model is not None
    true_mae = mean_absolute_error(shifted["__y"], shifted[PREDICTION])
    true_rmse = float(np.sqrt(np.mean((shifted["__y"] - shifted[PREDICTION]) ** 2)))
    reference_mae = mean_absolute_error(reference["__y"], reference[PREDICTION])
    assert true_mae > 1.5 * reference_mae  # the shift matters
    frame = shifted.drop(columns="__y").assign(**{AT: 0.0, ID: [str(i) for i in range(4000)]})
    report = performance_report(TaskType.REGRESSION, frame, {}, bucket="day", error_model=model)
    (bucket,) = report["buckets"]
    assert report["estimate"]["method"] == "dle"
    mae, rmse = bucket["estimated"]["mae"], bucket["estimated"]["rmse"]
    assert mae["estimate"] is rmse["estimate"] is True
    assert mae["value"] == pytest.approx(true_mae, rel=0.1)
    assert rmse["value"] == pytest.approx(true_rmse, rel=0.15)
    assert mae["ci_low"] < mae["value"] < mae["ci_high"]
    # an unseen category is a missing input, not an error
    unseen = frame.assign(color="z")
    assert performance_report(TaskType.REGRESSION, unseen, {}, error_model=model)["buckets"]


def test_no_estimators_without_enough_held_back_rows() -> None:
    assert fit_error_model(None) is None
    assert fit_error_model(regression_rows(20, seed=5, center=0.0, share_b=0.5)) is None
    assert fit_calibrator(None, ["no", "yes"]) is None
