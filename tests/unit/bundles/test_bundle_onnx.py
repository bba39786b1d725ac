"""ONNX export: tunelab's default model shape (weighted ensemble of fold bags of
TabularModels) becomes one graph on the raw columns, and onnxruntime predicts as the bundle."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bundles.export_models import FEATURES, fit_ensemble, frame, save
from tunelab.bundles import export_onnx, load_bundle
from tunelab.bundles._onnx import onnx_inputs, sample_rows
from tunelab.entities import ExportError

ort = pytest.importorskip("onnxruntime")


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return frame(300)


@pytest.fixture(scope="module")
def held_back() -> pd.DataFrame:
    return frame(400, seed=7)[FEATURES]


@pytest.fixture(scope="module", params=["binary", "regression"])
def exported(
    request: pytest.FixtureRequest, data: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, Path, Path]:
    task = request.param
    root = tmp_path_factory.mktemp(f"onnx-{task}")
    model = fit_ensemble(task, data, kinds=("lightgbm", "catboost", "linear"))
    bundle = save(model, task, data, root / "bundle")
    result = export_onnx(bundle, root / "model.onnx")
    assert result.rows_checked == 2000
    assert result.max_difference <= 1e-4
    return task, bundle, Path(result.path)


def _session(path: Path) -> object:
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def test_one_graph_takes_the_raw_columns(exported: tuple[str, Path, Path]) -> None:
    task, _, path = exported
    session = _session(path)
    inputs = {i.name: i.type for i in session.get_inputs()}
    assert inputs == {
        "x": "tensor(double)",
        "color": "tensor(string)",
        "size": "tensor(double)",
        "flag": "tensor(string)",
    }
    outputs = [o.name for o in session.get_outputs()]
    assert outputs == (["label", "probabilities"] if task == "binary" else ["prediction"])


def test_onnxruntime_predicts_like_the_bundle(
    exported: tuple[str, Path, Path], held_back: pd.DataFrame
) -> None:
    task, bundle_path, path = exported
    bundle = load_bundle(bundle_path)
    got = _session(path).run(None, onnx_inputs(bundle, held_back))
    if task == "binary":
        labels, proba = got
        assert np.abs(proba - bundle.predict_proba(held_back).to_numpy()).max() <= 1e-4
        assert np.mean(labels == bundle.predict(held_back)) >= 0.999
        assert set(labels) == {"no", "yes"}
    else:
        np.testing.assert_allclose(got[0], bundle.predict(held_back), atol=1e-4)


def test_unseen_and_missing_values_and_any_case_booleans(exported: tuple[str, Path, Path]) -> None:
    _, bundle_path, path = exported
    bundle = load_bundle(bundle_path)
    rows = pd.DataFrame(
        {
            "x": [np.nan, 0.5, -1.0, 2.0],
            "color": [None, "purple", "red", "blue"],
            "size": [3.0, np.nan, 7.0, 1.0],
            "flag": ["TRUE", "false", None, "True"],
        }
    )
    got = _session(path).run(None, onnx_inputs(bundle, rows))
    native = (
        bundle.predict_proba(rows).to_numpy()
        if bundle.task.is_classification
        else bundle.predict(rows)
    )
    np.testing.assert_allclose(got[-1], native, atol=1e-4)


def test_multiclass_ensemble(data: pd.DataFrame, held_back: pd.DataFrame, tmp_path: Path) -> None:
    model = fit_ensemble("multiclass", data, kinds=("lightgbm", "linear"))
    bundle_path = save(model, "multiclass", data, tmp_path / "bundle")
    result = export_onnx(bundle_path, tmp_path / "m.onnx", n_rows=300)
    bundle = load_bundle(bundle_path)
    labels, proba = _session(Path(result.path)).run(None, onnx_inputs(bundle, held_back))
    assert proba.shape == (len(held_back), 3)
    assert np.abs(proba - bundle.predict_proba(held_back).to_numpy()).max() <= 1e-4
    assert list(labels) == list(bundle.predict(held_back))


def test_quantised_mlp_reports_size_and_accuracy_change(
    data: pd.DataFrame, tmp_path: Path
) -> None:
    bundle_path = save(
        fit_ensemble("binary", data, kinds=("mlp",)), "binary", data, tmp_path / "b"
    )
    labelled = frame(400, seed=8)
    result = export_onnx(bundle_path, tmp_path / "q.onnx", rows=labelled, quantize=True)
    q = result.quantized
    assert q is not None
    assert q["size_bytes_after"] < 0.5 * q["size_bytes_before"]
    assert q["size_bytes_after"] == (tmp_path / "q.onnx").stat().st_size
    assert 0 < q["max_difference"] < 0.5  # int8 weights: close, not exact
    assert q["label_agreement"] >= 0.9
    assert q["score"] == "accuracy"
    assert abs(q["score_after"] - q["score_before"]) <= 0.1
    bundle = load_bundle(bundle_path)
    session = _session(tmp_path / "q.onnx")
    labels, _ = session.run(None, onnx_inputs(bundle, labelled))
    assert np.mean(labels == bundle.predict(labelled)) == pytest.approx(q["label_agreement"])


def test_quantising_trees_is_refused(exported: tuple[str, Path, Path], tmp_path: Path) -> None:
    _, bundle_path, _ = exported
    with pytest.raises(ExportError, match="nothing to quantise"):
        export_onnx(bundle_path, tmp_path / "q.onnx", n_rows=50, quantize=True)


def test_refused_with_the_step_named_and_nothing_written(
    data: pd.DataFrame, tmp_path: Path
) -> None:
    from sklearn.linear_model import LogisticRegression

    from tunelab.entities import ColumnKind, ColumnSettings, Imputation, PreprocessingSettings
    from tunelab.preprocessing import make_model_pipeline

    columns = {
        "x": ColumnSettings(kind=ColumnKind.NUMERIC, imputation=Imputation.KNN),
        "color": ColumnSettings(kind=ColumnKind.CATEGORICAL),
        "size": ColumnSettings(kind=ColumnKind.NUMERIC),
        "flag": ColumnSettings(kind=ColumnKind.BOOLEAN),
    }
    model = make_model_pipeline(
        PreprocessingSettings(columns=columns),
        LogisticRegression(),
        task="binary",
        flavor="linear",
    ).fit(data[FEATURES], (data["label"] == "yes").astype(int).to_numpy())
    bundle = save(model, "binary", data, tmp_path / "bundle")
    with pytest.raises(ExportError, match=r"numeric0/impute.*ModelImputer"):
        export_onnx(bundle, tmp_path / "model.onnx")
    assert not (tmp_path / "model.onnx").exists()


def test_refused_when_predictions_differ(data: pd.DataFrame, tmp_path: Path) -> None:
    """A random forest routes missing category codes (NaN) in a way its converter does
    not reproduce: the parity check catches it and says by how much."""
    from sklearn.ensemble import RandomForestClassifier

    from tunelab.entities import ColumnKind, ColumnSettings, PreprocessingSettings
    from tunelab.preprocessing import make_model_pipeline

    kinds = {"x": "numeric", "color": "categorical", "size": "numeric", "flag": "boolean"}
    settings = PreprocessingSettings(
        columns={n: ColumnSettings(kind=ColumnKind(k)) for n, k in kinds.items()}
    )
    forest = RandomForestClassifier(n_estimators=5, random_state=0)
    model = make_model_pipeline(settings, forest, task="binary", flavor="tree").fit(
        data[FEATURES], (data["label"] == "yes").astype(int).to_numpy()
    )
    bundle = save(model, "binary", data, tmp_path / "bundle")
    with pytest.raises(ExportError, match="probability difference"):
        export_onnx(bundle, tmp_path / "model.onnx")
    assert not (tmp_path / "model.onnx").exists()


def test_sampled_rows_follow_the_schema(exported: tuple[str, Path, Path]) -> None:
    _, bundle_path, _ = exported
    bundle = load_bundle(bundle_path)
    rows = sample_rows(bundle, 500, seed=1)
    assert list(rows.columns) == FEATURES
    assert rows["x"].isna().any()
    assert rows["color"].isna().any()
    assert set(rows["flag"].dropna()) <= {"True", "False"}
    bundle.predict(rows)  # valid input for the bundle itself


def test_result_reports_rows_and_size(exported: tuple[str, Path, Path], tmp_path: Path) -> None:
    _, bundle_path, _ = exported
    result = export_onnx(bundle_path, tmp_path / "again.onnx", n_rows=50)
    assert dataclasses.asdict(result)["rows_checked"] == 50
    assert result.to_dict()["size_bytes"] == (tmp_path / "again.onnx").stat().st_size


@pytest.mark.parametrize("transformation", ["yeo_johnson", "box_cox"])
def test_power_transforms_convert_with_parity(
    data: pd.DataFrame, held_back: pd.DataFrame, tmp_path: Path, transformation: str
) -> None:
    """Yeo-Johnson and Box-Cox (NumericTransform with a fitted PowerTransformer) convert;
    onnxruntime's probabilities equal the bundle's, missing numbers included."""
    from sklearn.linear_model import LogisticRegression

    from tunelab.entities import (
        ColumnKind,
        ColumnSettings,
        PreprocessingSettings,
        Transformation,
    )
    from tunelab.preprocessing import make_model_pipeline

    power = Transformation(transformation)
    columns = {
        "x": ColumnSettings(kind=ColumnKind.NUMERIC, transformation=power),
        "color": ColumnSettings(kind=ColumnKind.CATEGORICAL),
        "size": ColumnSettings(kind=ColumnKind.NUMERIC, transformation=power),
        "flag": ColumnSettings(kind=ColumnKind.BOOLEAN),
    }
    model = make_model_pipeline(
        PreprocessingSettings(columns=columns),
        LogisticRegression(),
        task="binary",
        flavor="linear",
    ).fit(data[FEATURES], (data["label"] == "yes").astype(int).to_numpy())
    steps = [type(s).__name__ for s in _leaf_steps(model.preprocessor_)]
    assert "NumericTransform" in steps  # the step the converter is for is really there
    bundle = save(model, "binary", data, tmp_path / "bundle")
    result = export_onnx(bundle, tmp_path / "model.onnx", rows=held_back)
    assert result.max_difference <= 1e-4
    rows = held_back.copy()
    rows.loc[rows.index[:5], "x"] = np.nan
    rows.loc[rows.index[5:10], "x"] = [-50.0, -3.0, 0.0, 1e3, 1e9]  # beyond the fitted range
    expected = load_bundle(bundle).predict_proba(rows).to_numpy()
    loaded = load_bundle(bundle)
    _, proba = _session(Path(result.path)).run(None, onnx_inputs(loaded, rows))  # type: ignore[attr-defined]
    np.testing.assert_allclose(np.asarray(proba), expected, atol=1e-6)


def _leaf_steps(step: object) -> list[object]:
    """Every step inside nested pipelines / column transformers."""
    out: list[object] = [step]
    for child in getattr(step, "steps", []):
        out += _leaf_steps(child[1])
    for child in getattr(step, "transformers_", []):
        out += _leaf_steps(child[1])
    return out


def test_polynomial_features_convert_with_parity(
    data: pd.DataFrame, held_back: pd.DataFrame, tmp_path: Path
) -> None:
    from sklearn.linear_model import LogisticRegression

    from tunelab.entities import ColumnKind, ColumnSettings, PreprocessingSettings
    from tunelab.entities.preprocessing import FeatureEngineering
    from tunelab.preprocessing import make_model_pipeline

    kinds = {"x": "numeric", "color": "categorical", "size": "numeric", "flag": "boolean"}
    settings = PreprocessingSettings(
        columns={n: ColumnSettings(kind=ColumnKind(k)) for n, k in kinds.items()},
        feature_engineering=(FeatureEngineering.POLYNOMIAL,),
    )
    model = make_model_pipeline(settings, LogisticRegression(), task="binary", flavor="linear")
    model.fit(data[FEATURES], (data["label"] == "yes").astype(int).to_numpy())
    steps = [type(s).__name__ for s in _leaf_steps(model.preprocessor_)]
    assert "CappedPolynomial" in steps
    bundle = save(model, "binary", data, tmp_path / "bundle")
    result = export_onnx(bundle, tmp_path / "model.onnx", rows=held_back)
    assert result.max_difference <= 1e-4
    assert result.label_agreement >= 0.999
