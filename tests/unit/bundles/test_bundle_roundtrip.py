"""Saving and loading bundles: round trips, label mapping, integrity and atomicity."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

import tunelab.bundles._bundle as bundle_mod
from tunelab.bundles import load_bundle, save_bundle, zip_bundle
from tunelab.bundles._manifest import MANIFEST, MODEL_FILE, seal
from tunelab.entities import BundleError, ConfigError


def _frame(n: int = 120, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "age": rng.normal(40, 10, n).round(1),
            "income": rng.normal(3000, 800, n),
            "city": rng.choice(["seoul", "busan", "daegu"], n),
        }
    )
    y = ((X["age"] > 40) ^ (X["city"] == "busan")).astype(int).to_numpy()
    return X, y


def _pipeline() -> Pipeline:
    pre = ColumnTransformer(
        [
            ("num", StandardScaler(), ["age", "income"]),
            ("cat", OneHotEncoder(handle_unknown="ignore"), ["city"]),
        ]
    )
    return Pipeline([("pre", pre), ("clf", LogisticRegression())])


def _save(path: Path, model: object, X: pd.DataFrame, classes: list[object], **kw: object) -> Path:
    return save_bundle(
        path,
        model,
        task=kw.pop("task", "binary"),
        target="bought",
        classes=classes,
        feature_columns=list(X.columns),
        input_schema=X,
        metrics={"roc_auc": 0.9},
        data_fingerprint="abc123",
        reference_stats=X,
        **kw,
    )


@pytest.fixture
def saved(tmp_path: Path) -> tuple[Path, Pipeline, pd.DataFrame]:
    X, y = _frame()
    model = _pipeline().fit(X, y)
    return _save(tmp_path / "bundle", model, X, ["no", "yes"]), model, X


def test_round_trip_predictions_identical_and_labels_mapped(saved: tuple) -> None:
    path, model, X = saved
    bundle = load_bundle(path)
    np.testing.assert_array_equal(bundle.predict_proba(X).to_numpy(), model.predict_proba(X))
    expected = np.array(["no", "yes"])[model.predict(X)]
    np.testing.assert_array_equal(bundle.predict(X), expected)
    assert list(bundle.predict_proba(X).columns) == ["no", "yes"]
    assert set(bundle.predict(X)) <= {"no", "yes"}


def test_manifest_contents(saved: tuple) -> None:
    path, _, _ = saved
    manifest = json.loads((path / MANIFEST).read_text())
    assert manifest["classes"] == ["no", "yes"]
    assert manifest["task"] == "binary"
    assert set(manifest["files"]) == {MODEL_FILE}
    assert {"scikit-learn", "numpy", "pandas", "skops", "python"} <= set(manifest["libraries"])
    schema = {c["name"]: c for c in manifest["input_schema"]}
    assert schema["city"]["kind"] == "categorical"
    assert sorted(schema["city"]["categories"]) == ["busan", "daegu", "seoul"]
    assert schema["age"]["kind"] == "numeric"
    stats = manifest["reference_statistics"]
    assert set(stats["age"]["quantiles"]) >= {"0.5", "0.01", "0.99"}
    assert sum(stats["age"]["histogram"]["counts"]) == 120
    assert abs(sum(stats["city"]["frequencies"].values()) - 1.0) < 1e-9


def test_lightgbm_round_trip_with_int_labels(tmp_path: Path) -> None:
    X, y = _frame(200)
    X = X.assign(city=X["city"].astype("category"))
    model = lgb.LGBMClassifier(n_estimators=20, verbose=-1).fit(X, y)
    path = _save(tmp_path / "lgb", model, X, [3, 7])
    bundle = load_bundle(path)
    assert "lightgbm.sklearn.LGBMClassifier" in bundle.manifest["trusted_types"]
    np.testing.assert_allclose(bundle.predict_proba(X).to_numpy(), model.predict_proba(X))
    np.testing.assert_array_equal(bundle.predict(X), np.array([3, 7])[model.predict(X)])


def test_regression_round_trip(tmp_path: Path) -> None:
    X, _ = _frame()
    y = X["age"] * 2.0 + 1
    model = Pipeline([("num", StandardScaler()), ("reg", Ridge())]).fit(X[["age", "income"]], y)
    path = _save(tmp_path / "reg", model, X[["age", "income"]], [], task="regression")
    bundle = load_bundle(path)
    with pytest.warns(UserWarning, match="city"):
        got = bundle.predict(X)
    np.testing.assert_array_equal(got, model.predict(X[["age", "income"]]))
    assert bundle.classes is None
    with pytest.raises(ConfigError):
        bundle.predict_proba(X)


def test_altered_model_file_refused(saved: tuple) -> None:
    path, _, _ = saved
    with (path / MODEL_FILE).open("ab") as handle:
        handle.write(b"\0")
    with pytest.raises(BundleError, match=MODEL_FILE):
        load_bundle(path)


def test_altered_manifest_refused(saved: tuple) -> None:
    path, _, _ = saved
    manifest = json.loads((path / MANIFEST).read_text())
    manifest["classes"] = ["yes", "no"]
    (path / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(BundleError, match="altered"):
        load_bundle(path)


def test_missing_model_file_refused(saved: tuple) -> None:
    path, _, _ = saved
    (path / MODEL_FILE).unlink()
    with pytest.raises(BundleError, match=MODEL_FILE):
        load_bundle(path)


def test_missing_manifest_and_folder_refused(saved: tuple, tmp_path: Path) -> None:
    path, _, _ = saved
    with pytest.raises(BundleError, match="no bundle folder"):
        load_bundle(tmp_path / "nowhere")
    (path / MANIFEST).unlink()
    with pytest.raises(BundleError, match=MANIFEST):
        load_bundle(path)


def test_manifest_trusted_types_never_widen_the_list(tmp_path: Path) -> None:
    """The manifest records what the model needs; loading trusts tunelab's list only."""
    X, y = _frame(200)
    model = lgb.LGBMClassifier(n_estimators=5, verbose=-1).fit(X[["age", "income"]], y)
    path = _save(tmp_path / "lgb", model, X[["age", "income"]], [0, 1])
    manifest = json.loads((path / MANIFEST).read_text())
    assert manifest["model_libraries"] == ["lightgbm", "python"]
    manifest["trusted_types"] = ["os.system"]
    manifest.pop("manifest_sha256")
    (path / MANIFEST).write_text(json.dumps(seal(manifest)))
    load_bundle(path)  # the model holds no os.system: the listed name changes nothing
    manifest["model_libraries"] = ["python"]
    (path / MANIFEST).write_text(json.dumps(seal(manifest)))
    with pytest.raises(BundleError, match=r"lightgbm\.sklearn\.LGBMClassifier"):
        load_bundle(path)


def test_atomic_save_keeps_previous_bundle(saved: tuple, monkeypatch: pytest.MonkeyPatch) -> None:
    path, model, X = saved
    before = (path / MANIFEST).read_text()

    def explode(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(bundle_mod, "write_manifest", explode)
    with pytest.raises(OSError, match="disk full"):
        _save(path, model, X, ["a", "b"])
    assert (path / MANIFEST).read_text() == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["bundle"]
    load_bundle(path)  # still valid


def test_atomic_save_leaves_nothing_on_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    X, y = _frame()
    model = _pipeline().fit(X, y)

    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(bundle_mod, "write_manifest", explode)
    with pytest.raises(RuntimeError):
        _save(tmp_path / "fresh", model, X, ["no", "yes"])
    assert list(tmp_path.iterdir()) == []


def test_overwrite_replaces_bundle(saved: tuple) -> None:
    path, model, X = saved
    _save(path, model, X, ["a", "b"])
    bundle = load_bundle(path)
    assert bundle.classes == ["a", "b"]
    assert [p.name for p in path.parent.iterdir()] == ["bundle"]


def test_classification_needs_json_native_classes(tmp_path: Path) -> None:
    X, y = _frame()
    model = _pipeline().fit(X, y)
    with pytest.raises(ConfigError, match="classes"):
        _save(tmp_path / "b", model, X, [])
    with pytest.raises(ConfigError, match="label"):
        _save(tmp_path / "b", model, X, [object(), object()])
    assert not (tmp_path / "b").exists()


def test_zip_bundle_contains_files(saved: tuple, tmp_path: Path) -> None:
    path, _, _ = saved
    out = zip_bundle(path, tmp_path / "out" / "bundle.zip")
    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == sorted([MANIFEST, MODEL_FILE])
        archive.extractall(tmp_path / "unzipped")
    assert load_bundle(tmp_path / "unzipped").classes == ["no", "yes"]
