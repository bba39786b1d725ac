"""Curve data, evaluate_predictions, permutation importance and the written report."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm
from sklearn.linear_model import LinearRegression

from tunelab.evaluation import (
    ModelDetails,
    RunSummary,
    classification_curves,
    evaluate_predictions,
    get_metric,
    permutation_importance,
    write_report,
)
from tunelab.evaluation._curves import MAX_POINTS


def _binary(n: int = 2000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    p1 = np.clip(0.35 * y + rng.uniform(0, 0.65, n), 0, 1)
    return y, np.column_stack([1 - p1, p1])


def test_classification_curves_json_and_downsampled() -> None:
    y, proba = _binary()
    curves = classification_curves(y, proba, classes=["no", "yes"])
    json.dumps(curves, allow_nan=False)
    roc = curves["roc"]["binary"]
    assert len(roc["fpr"]) <= MAX_POINTS
    assert roc["auc"] == pytest.approx(skm.roc_auc_score(y, proba[:, 1]))
    assert roc["fpr"][0] == 0.0
    assert roc["tpr"][-1] == 1.0
    cm = curves["confusion_matrix"]
    assert cm["labels"] == ["no", "yes"]
    assert np.sum(cm["matrix"]) == len(y)
    assert sum(b["count"] for b in curves["calibration"]["bins"]) == len(y)
    gain = curves["lift_gain"]["gain"]
    assert gain == sorted(gain)
    assert gain[-1] == pytest.approx(1.0)
    thr = curves["threshold"]
    assert thr["recall"][0] == 1.0
    assert thr["recall"] == sorted(thr["recall"], reverse=True)


def test_multiclass_curves_per_class() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 300)
    proba = rng.dirichlet([1, 1, 1], 300)
    curves = classification_curves(y, proba, classes=["a", "b", "c"])
    assert set(curves["roc"]["per_class"]) == {"a", "b", "c"}
    assert "lift_gain" not in curves
    assert curves["calibration"]["kind"] == "top_label"


def test_evaluate_predictions_binary_and_regression() -> None:
    y, proba = _binary(400)
    out = evaluate_predictions("binary", None, y, proba=proba, classes=["n", "y"], n_resamples=200)
    assert set(out["metrics"]) >= {"roc_auc", "accuracy", "log_loss", "f1"}
    for cell in out["metrics"].values():
        assert cell["ci_low"] <= cell["value"] <= cell["ci_high"]
    json.dumps(out, allow_nan=False)
    rng = np.random.default_rng(0)
    yr = rng.normal(size=300)
    reg = evaluate_predictions("regression", ["rmse", "rmsle"], yr, y_pred=yr + 0.1, with_ci=False)
    assert reg["metrics"]["rmse"]["value"] == pytest.approx(0.1)
    assert "rmsle" in reg["skipped"]
    assert len(reg["curves"]["residuals"]["residual"]) == MAX_POINTS


def test_permutation_importance_finds_the_signal() -> None:
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"signal": rng.normal(size=400), "noise": rng.normal(size=400)})
    X["label"] = rng.choice(["p", "q"], 400)
    y = 3 * X["signal"] + rng.normal(0, 0.1, 400)
    model = LinearRegression().fit(X[["signal", "noise"]], y)
    result = permutation_importance(
        lambda df: model.predict(df[["signal", "noise"]]),
        X,
        y,
        get_metric("rmse", "regression"),
        n_repeats=3,
        max_rows=300,
    )
    names = [c for c, _, _ in result]
    assert names[0] == "signal"
    assert result[0][1] > 1.0
    assert dict((c, m) for c, m, _ in result)["label"] == 0.0


def _summary() -> RunSummary:
    y, proba = _binary(300)
    evaluated = evaluate_predictions("binary", None, y, proba=proba, n_resamples=100)
    model = ModelDetails(
        name="LightGBM | tuned #3",
        family="lightgbm",
        params={"num_leaves": 31, "learning_rate": 0.05},
        preprocessing={"scaling": "none"},
        cv_score=0.81,
        cv_std=0.02,
        fit_time=1.5,
        validation="5-fold CV",
        metrics={"valid": evaluated["metrics"], "test": evaluated["metrics"]},
        curves=evaluated["curves"],
        importance=[("age", 0.1, 0.01), ("<script>", 0.02, 0.0)],
    )
    return RunSummary(
        task="binary",
        metric="roc_auc",
        target="churn",
        dataset={"name": "demo", "n_rows": 300},
        leaderboard=[
            {"name": "LightGBM | tuned #3", "score": 0.81, "fit_time": 1.5},
            {"name": "baseline", "score": 0.5, "fit_time": 0.01},
        ],
        models=[model, ModelDetails(name="baseline")],
        best_model="LightGBM | tuned #3",
        ensemble_weights={"LightGBM | tuned #3": 1.0},
    )


def test_write_report(tmp_path: Path) -> None:
    root = write_report(tmp_path, _summary())
    assert root == tmp_path / "report"
    readme = (root / "README.md").read_text()
    assert "[LightGBM \\| tuned #3](models/LightGBM_tuned_3.md)" in readme
    assert "[baseline](models/baseline.md)" in readme
    page = (root / "models" / "LightGBM_tuned_3.md").read_text()
    assert "../README.md" in page
    assert "num_leaves" in page
    assert "roc_auc" in page
    assert "| age" in page
    html = (root / "models" / "LightGBM_tuned_3.html").read_text()
    assert "<svg" in html
    assert "&lt;script&gt;" in html
    assert "<script>" not in html
    assert 'href="../index.html"' in html
    index = (root / "index.html").read_text()
    assert 'href="models/LightGBM_tuned_3.html"' in index
    payload = json.loads((root / "report.json").read_text())
    assert payload["best_model"] == "LightGBM | tuned #3"
    assert payload["models"][0]["metrics"]["valid"]["roc_auc"]["value"] > 0.5
