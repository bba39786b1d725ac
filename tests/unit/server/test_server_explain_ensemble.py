"""Additive explanations of weighted ensembles (members' SHAP in probability space, combined
by weight), sampled Shapley for other models, and the LIME-style surrogate."""

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from deployment_bundles import fit_model, frame, save

from tunelab.bundles import load_bundle
from tunelab.ensembling._estimators import FoldBag, WeightedEnsemble
from tunelab.server.deployments import explain
from tunelab.server.deployments.fastpath import build_fast_plan
from tunelab.server.predictor import Predictor

RECORDS = [
    {"x": 0.3, "color": "blue", "size": 4.0},
    {"x": -1.2, "color": "red", "size": None},
    {"x": 2.0, "color": "green", "size": 9.0},
    {"x": 0.0, "color": "red", "size": 5.0},
]


def _forest(df: Any) -> Any:
    """A TabularModel around a random forest: SHAP answers in probability space."""
    from sklearn.ensemble import RandomForestClassifier

    from tunelab.data import profile_dataset
    from tunelab.preprocessing import make_model_pipeline, recommend

    X = df[["x", "color", "size"]]
    settings = recommend(profile_dataset(df[["x", "color", "size", "label"]], "label"), "label")
    est = RandomForestClassifier(n_estimators=15, max_depth=4, random_state=0, n_jobs=1)
    model = make_model_pipeline(settings, est, task="binary", flavor="tree")
    return model.fit(X, (df["label"] == "yes").astype(int).to_numpy())


def _knn(df: Any) -> Any:
    from sklearn.neighbors import KNeighborsClassifier

    from tunelab.data import profile_dataset
    from tunelab.preprocessing import make_model_pipeline, recommend

    X = df[["x", "color", "size"]]
    settings = recommend(profile_dataset(df[["x", "color", "size", "label"]], "label"), "label")
    model = make_model_pipeline(settings, KNeighborsClassifier(7), task="binary", flavor="linear")
    return model.fit(X, (df["label"] == "yes").astype(int).to_numpy())


def _predictor(model: Any, task: str, folder: Path) -> Predictor:
    bundle = load_bundle(save(model, task, frame(), folder))
    predictor = Predictor("d", "m", bundle, frozenset(c.name for c in bundle.schema))
    predictor.plan = build_fast_plan(bundle, predictor.generic_output)
    return predictor


@pytest.fixture(scope="module")
def binary_ensemble(tmp_path_factory: pytest.TempPathFactory) -> Predictor:
    """LightGBM (log-odds), logistic regression (log-odds) and a bag of two forests
    (probabilities), weighted 0.5 / 0.3 / 0.2."""
    df = frame()
    members = [
        fit_model("lightgbm", "binary", df),
        fit_model("linear", "binary", df),
        FoldBag([_forest(df), _forest(frame(seed=1))], n_classes=2).fit(),
    ]
    ensemble = WeightedEnsemble(members, [0.5, 0.3, 0.2], n_classes=2).fit()
    return _predictor(ensemble, "binary", tmp_path_factory.mktemp("ens"))


def test_binary_ensemble_is_additive_in_probability_space(binary_ensemble: Predictor) -> None:
    explained = binary_ensemble.explain(RECORDS)
    proba = binary_ensemble.generic_output(RECORDS)[:, 1]  # P(yes) by the bundle itself
    for e, p in zip(explained, proba, strict=True):
        assert e["method"] == "ensemble_shap"
        assert e["space"] == "probability"
        assert e["class"] == "yes"
        assert e["additive"] is True
        assert e["output"] == pytest.approx(p, abs=1e-9)
        assert e["base_value"] + sum(e["contributions"].values()) == pytest.approx(p, abs=1e-9)
    # x drives the label: the largest contribution, with the sign of x
    for e, record in zip(explained, RECORDS, strict=True):
        c = e["contributions"]
        if abs(record["x"]) > 1:
            assert max(c, key=lambda k: abs(c[k])) == "x"
            assert np.sign(c["x"]) == np.sign(record["x"])


def test_each_leaf_is_combined_with_its_weight(binary_ensemble: Predictor) -> None:
    """The weights of the leaves are the ensemble's weights times the bag's share."""
    explainer = binary_ensemble.explain_ready()
    leaves = explainer._leaves or []
    assert [leaf.link for leaf in leaves] == ["logit", "logit", "identity", "identity"]
    assert [leaf.weight for leaf in leaves] == pytest.approx([0.5, 0.3, 0.1, 0.1])


def test_forest_only_values_equal_shap_in_probability_space(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """For identity-link members the combined values are plain SHAP values averaged."""
    import shap

    monkeypatch.setattr(explain, "_TREE_SHAP_MS", float("inf"))  # always exact TreeSHAP
    df = frame()
    forests = [_forest(df), _forest(frame(seed=2))]
    ensemble = WeightedEnsemble(forests, [0.25, 0.75], n_classes=2).fit()
    predictor = _predictor(ensemble, "binary", tmp_path)
    explained = predictor.explain(RECORDS[:2])
    X = predictor.bundle.validate(__import__("pandas").DataFrame.from_records(RECORDS[:2]))
    expected = np.zeros((2, 3))
    leaves = predictor.explain_ready()._leaves or []
    for weight, forest, leaf in zip([0.25, 0.75], forests, leaves, strict=True):
        Xt = np.asarray(forest.preprocessor_.transform(X), dtype=np.float64)
        raw = np.asarray(shap.TreeExplainer(forest.estimator_).shap_values(Xt))[:, :, 1]
        for k, owner in enumerate(leaf.owners):
            if owner >= 0:
                expected[:, owner] += weight * raw[:, k]
    got = np.array([[e["contributions"][c] for c in ("x", "color", "size")] for e in explained])
    np.testing.assert_allclose(got, expected, atol=1e-9)


def test_slow_forests_are_explained_by_their_tree_paths_still_additively(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(explain, "_TREE_SHAP_MS", -1.0)  # every forest counts as too slow
    df = frame()
    members = [_forest(df), fit_model("lightgbm", "binary", df)]
    ensemble = WeightedEnsemble(members, [0.6, 0.4], n_classes=2).fit()
    predictor = _predictor(ensemble, "binary", tmp_path)
    kinds = [leaf.kind for leaf in predictor.explain_ready()._leaves or []]
    assert kinds == ["tree_path", "tree_shap"]
    proba = predictor.generic_output(RECORDS)[:, 1]
    for e, p in zip(predictor.explain(RECORDS), proba, strict=True):
        assert e["approximate"] is True
        assert e["base_value"] + sum(e["contributions"].values()) == pytest.approx(p, abs=1e-9)


def test_models_without_shap_get_sampled_shapley_values(tmp_path: Path) -> None:
    df = frame()
    ensemble = WeightedEnsemble(
        [_knn(df), fit_model("lightgbm", "binary", df)], [0.5, 0.5], n_classes=2
    ).fit()
    predictor = _predictor(ensemble, "binary", tmp_path)
    explained = predictor.explain(RECORDS)
    proba = predictor.generic_output(RECORDS)[:, 1]
    for e, p in zip(explained, proba, strict=True):
        assert e["method"] == "sampled_shapley"
        assert e["additive"] is True
        assert e["output"] == pytest.approx(p, abs=1e-9)
        assert e["base_value"] + sum(e["contributions"].values()) == pytest.approx(p, abs=1e-9)
    assert predictor.explain(RECORDS) == explained  # seeded: the same answer twice


def test_lime_recovers_the_local_effects_of_a_linear_model(tmp_path: Path) -> None:
    """On y = 3x + color + 0.2 size (ridge), moving x far from typical values dominates."""
    df = frame()
    predictor = _predictor(fit_model("linear", "regression", df), "regression", tmp_path)
    record = {"x": 2.5, "color": "red", "size": 5.0}
    (e,) = predictor.explain([record], method="lime")
    assert e["method"] == "lime"
    assert e["additive"] is False
    assert e["output"] == pytest.approx(float(predictor.generic_output([record])[0]))
    c = e["contributions"]
    assert max(c, key=lambda k: abs(c[k])) == "x"
    assert c["x"] > 5.0  # 3 * (2.5 - a typical x near 0), shrunk a little by the ridge
    assert e["fidelity"] > 0.8  # a linear model is fitted well by a linear surrogate
    assert e["surrogate_output"] == pytest.approx(e["output"], abs=0.5)


def test_a_catboost_member_slower_than_the_path_threshold_keeps_exact_values(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Slow exact TreeSHAP switches forests to tree paths; CatBoost has no such mode in shap
    (it raised "approximate=True is not supported"): it stays exact, and additive."""
    from catboost import CatBoostClassifier

    from tunelab.data import profile_dataset
    from tunelab.preprocessing import make_model_pipeline, recommend

    monkeypatch.setattr(explain, "_TREE_SHAP_MS", -1.0)  # every tree counts as slow
    df = frame()
    X = df[["x", "color", "size"]]
    settings = recommend(profile_dataset(df[["x", "color", "size", "label"]], "label"), "label")
    est = CatBoostClassifier(iterations=30, depth=3, verbose=0, random_seed=0, thread_count=1)
    boosted = make_model_pipeline(settings, est, task="binary", flavor="tree")
    boosted.fit(X, (df["label"] == "yes").astype(int).to_numpy())
    members = [fit_model("linear", "binary", df), boosted]
    ensemble = WeightedEnsemble(members, [0.6, 0.4], n_classes=2).fit()
    predictor = _predictor(ensemble, "binary", tmp_path)
    explained = predictor.explain(RECORDS)
    proba = predictor.generic_output(RECORDS)[:, 1]
    for e, p in zip(explained, proba, strict=True):
        assert e["method"] == "ensemble_shap"
        assert e["additive"] is True
        assert e["output"] == pytest.approx(p, abs=1e-9)
