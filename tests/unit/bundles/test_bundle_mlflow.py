"""MLflow export: the folder loads with real mlflow (mlflow-skinny, dev group) and predicts
exactly as the bundle does."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from bundles.export_models import FEATURES, fit_ensemble, frame, save
from tunelab.bundles import export_mlflow, load_bundle
from tunelab.entities import BundleError


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return frame(240)


@pytest.fixture(scope="module", params=["binary", "regression"])
def exported(
    request: pytest.FixtureRequest, data: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, Path, Path]:
    task = request.param
    root = tmp_path_factory.mktemp(f"mlflow-{task}")
    bundle = save(fit_ensemble(task, data), task, data, root / "bundle")
    return task, bundle, export_mlflow(bundle, root / "mlflow")


def test_mlmodel_file_describes_a_python_function_model(exported: tuple[str, Path, Path]) -> None:
    task, _, out = exported
    mlmodel = yaml.safe_load((out / "MLmodel").read_text())
    flavor = mlmodel["flavors"]["python_function"]
    assert flavor["loader_module"] == "tunelab.bundles.mlflow_pyfunc"
    assert (out / flavor["data"] / "manifest.json").is_file()
    inputs = json.loads(mlmodel["signature"]["inputs"])
    assert [c["name"] for c in inputs] == FEATURES
    assert {c["name"]: c["type"] for c in inputs}["x"] == "double"
    assert {c["name"]: c["type"] for c in inputs}["color"] == "string"
    example = json.loads((out / "input_example.json").read_text())
    assert example["columns"] == FEATURES
    requirements = (out / "requirements.txt").read_text().split()
    assert any(r.startswith("scikit-learn==") for r in requirements)
    assert any(r.startswith("lightgbm==") for r in requirements)
    assert not any(r.startswith("catboost") for r in requirements)
    assert mlmodel["flavors"]["tunelab"]["task"] == task


def test_mlflow_pyfunc_loads_and_predicts_like_the_bundle(
    exported: tuple[str, Path, Path], data: pd.DataFrame
) -> None:
    mlflow_pyfunc = pytest.importorskip("mlflow.pyfunc")
    task, bundle_path, out = exported
    model = mlflow_pyfunc.load_model(str(out))
    rows = data[FEATURES].iloc[:50].copy()
    rows["flag"] = rows["flag"].astype(str)  # the signature types booleans as strings
    got = np.asarray(model.predict(rows))
    want = load_bundle(bundle_path).predict(data[FEATURES].iloc[:50])
    if task == "regression":
        np.testing.assert_allclose(got.astype(float), want, rtol=0, atol=1e-9)
    else:
        assert list(got) == list(want)
        proba = model.predict(rows, params={"predict_method": "predict_proba"})
        expected = load_bundle(bundle_path).predict_proba(data[FEATURES].iloc[:50])
        np.testing.assert_allclose(proba.to_numpy(), expected.to_numpy(), atol=1e-12)
    from mlflow.models import Model

    example = Model.load(str(out)).load_input_example(str(out))
    assert len(model.predict(example)) == len(example)


def test_loader_module_without_mlflow(
    exported: tuple[str, Path, Path], data: pd.DataFrame
) -> None:
    from tunelab.bundles.mlflow_pyfunc import _load_pyfunc

    _, bundle_path, out = exported
    model = _load_pyfunc(str(out / "bundle"))
    want = load_bundle(bundle_path).predict(data[FEATURES])
    assert list(model.predict(data[FEATURES])) == list(want)


def test_export_refuses_an_altered_bundle(
    exported: tuple[str, Path, Path], tmp_path: Path
) -> None:
    import shutil

    _, bundle_path, _ = exported
    copy = shutil.copytree(bundle_path, tmp_path / "b")
    with (copy / "model.skops").open("ab") as handle:
        handle.write(b"x")
    with pytest.raises(BundleError, match="altered"):
        export_mlflow(copy, tmp_path / "out")
    assert not (tmp_path / "out").exists()
