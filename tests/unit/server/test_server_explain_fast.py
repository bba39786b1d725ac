"""Explanations through the fast plan and LightGBM's own TreeSHAP equal SHAP's on the bundle."""

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import shap
from deployment_bundles import fit_model, frame, save
from lightgbm import LGBMClassifier

from tunelab.bundles import load_bundle, save_bundle
from tunelab.server.deployments.explain import Explainer
from tunelab.server.deployments.fastpath import build_fast_plan
from tunelab.server.predictor import Predictor

RECORDS = [
    {"x": 0.3, "color": "blue", "size": 4.0},
    {"x": -1.2, "color": "red", "size": None},
    {"x": 2.0, "color": "green", "size": 9.0},
]


def _predictor(folder: Path) -> Predictor:
    bundle = load_bundle(folder)
    predictor = Predictor("d", "m", bundle, frozenset(c.name for c in bundle.schema))
    predictor.plan = build_fast_plan(bundle, predictor.generic_output)
    return predictor


def _shap_reference(predictor: Predictor, records: list[dict[str, Any]]) -> np.ndarray:
    """SHAP's TreeExplainer on the bundle's own preprocessing, summed to input columns."""
    bundle = predictor.bundle
    X = bundle.validate(pd.DataFrame.from_records(records))
    Xt = np.asarray(bundle.model.preprocessor_.transform(X), dtype=np.float64)
    raw = np.asarray(shap.TreeExplainer(bundle.model.estimator_).shap_values(Xt))
    if raw.ndim == 3:  # multiclass: explain the predicted class
        picked = predictor.output(records).argmax(axis=1)
        raw = raw[np.arange(len(records)), :, picked]
    explainer = predictor.explain_ready()
    (leaf,) = explainer._leaves or []
    out = np.zeros((len(records), len(explainer.columns)))
    for k, owner in enumerate(leaf.owners):
        if owner >= 0:
            out[:, owner] += raw[:, k]
    return out


def _contributions(explained: list[dict[str, Any]], columns: list[str]) -> np.ndarray:
    return np.array([[e["contributions"][c] for c in columns] for e in explained])


@pytest.mark.parametrize("task", ["regression", "binary"])
def test_fast_explanations_equal_shap_on_the_bundle(tmp_path: Path, task: str) -> None:
    df = frame()
    predictor = _predictor(save(fit_model("lightgbm", task, df), task, df, tmp_path / "b"))
    assert predictor.plan is not None
    explainer = predictor.explain_ready()
    assert isinstance(explainer, Explainer)
    assert explainer._fast_matrices(RECORDS) is not None
    explained = predictor.explain(RECORDS)
    got = _contributions(explained, explainer.columns)
    np.testing.assert_allclose(got, _shap_reference(predictor, RECORDS), rtol=1e-9, atol=1e-9)
    for e in explained:  # additive: base + contributions == the explained raw output
        assert e["output"] == pytest.approx(e["base_value"] + sum(e["contributions"].values()))


def test_unseen_values_are_mapped_by_the_preprocessors(tmp_path: Path) -> None:
    df = frame()
    predictor = _predictor(save(fit_model("lightgbm", "binary", df), "binary", df, tmp_path))
    odd = [{"x": 0.5, "color": "purple", "size": 3.0}]  # a category the plan never saw
    explainer = predictor.explain_ready()
    assert explainer._fast_matrices(odd) is not None  # the plan learns it column by column
    got = _contributions(predictor.explain(odd), explainer.columns)
    np.testing.assert_allclose(got, _shap_reference(predictor, odd), rtol=1e-9, atol=1e-9)


def test_multiclass_explains_the_predicted_class_like_shap(tmp_path: Path) -> None:
    from tunelab.data import profile_dataset
    from tunelab.preprocessing import make_model_pipeline, recommend

    df = frame()
    df["shade"] = np.select([df["x"] < -0.5, df["x"] < 0.5], ["dark", "mid"], "light")
    X = df[["x", "color", "size"]]
    settings = recommend(profile_dataset(df[[*X.columns, "shade"]], target="shade"), "shade")
    est = LGBMClassifier(n_estimators=30, num_leaves=8, verbose=-1, n_jobs=1)
    model = make_model_pipeline(settings, est, task="multiclass", flavor="tree")
    classes = ["dark", "light", "mid"]
    model.fit(X, df["shade"].map({c: i for i, c in enumerate(classes)}).to_numpy())
    folder = save_bundle(
        tmp_path / "m",
        model,
        task="multiclass",
        target="shade",
        classes=classes,
        feature_columns=list(X.columns),
        input_schema=X,
        reference_stats=X,
        metrics={},
    )
    predictor = _predictor(folder)
    explained = predictor.explain(RECORDS)
    predicted = [classes[i] for i in predictor.output(RECORDS).argmax(axis=1)]
    assert [e["class"] for e in explained] == predicted
    got = _contributions(explained, predictor.explain_ready().columns)
    np.testing.assert_allclose(got, _shap_reference(predictor, RECORDS), rtol=1e-9, atol=1e-9)
