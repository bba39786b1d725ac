"""AutoML.save: the bundle, leaderboard files and report; the bundle predicts identically."""

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from automl_frames import CHEAP, classification_frame

import tunelab
from tunelab import AutoML
from tunelab.entities import BundleError

# awkward but legal column names: Python keywords, spaces, Korean characters
RENAMES = {"f0": "class", "f1": "lambda", "f2": "my feature", "f3": "나이"}


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return classification_frame(240, labels=("bad", "good")).rename(columns=RENAMES)


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory, frame: pd.DataFrame) -> tuple[AutoML, Path]:
    automl = AutoML(time_budget=None, max_trials=3, algorithms=CHEAP, test_ratio=0.2)
    automl.fit(frame, target="label")
    return automl, automl.save(tmp_path_factory.mktemp("run") / "model")


def test_odd_column_names_are_features(saved: tuple[AutoML, Path]) -> None:
    automl, _ = saved
    assert set(RENAMES.values()) <= set(automl.feature_columns_)


def test_save_writes_bundle_leaderboard_and_report(saved: tuple[AutoML, Path]) -> None:
    _, path = saved
    for name in (
        "manifest.json",
        "model.skops",
        "leaderboard.csv",
        "leaderboard.json",
        "report/README.md",
        "report/index.html",
        "report/report.json",
    ):
        assert (path / name).is_file(), name
    readme = (path / "report" / "README.md").read_text(encoding="utf-8")
    assert "roc_auc" in readme
    assert "<html" in (path / "report" / "index.html").read_text(encoding="utf-8").lower()
    report = json.loads((path / "report" / "report.json").read_text(encoding="utf-8"))
    assert report["target"] == "label"


def test_loaded_bundle_predicts_identically(
    saved: tuple[AutoML, Path], frame: pd.DataFrame
) -> None:
    automl, path = saved
    bundle = tunelab.load_bundle(path)
    features = frame.drop(columns="label")
    np.testing.assert_array_equal(bundle.predict(features), automl.predict(features))
    proba = bundle.predict_proba(features)
    assert list(proba.columns) == ["bad", "good"]
    np.testing.assert_allclose(proba.to_numpy(), automl.predict_proba(features).to_numpy())


def test_manifest_holds_test_metrics_and_search_facts(saved: tuple[AutoML, Path]) -> None:
    automl, path = saved
    manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["task"] == "binary"
    assert manifest["target"] == "label"
    assert manifest["classes"] == ["bad", "good"]
    assert {"train", "test"} <= set(manifest["metrics"])
    test_auc = manifest["metrics"]["test"]["roc_auc"]
    assert test_auc["ci_low"] <= test_auc["value"] <= test_auc["ci_high"]
    assert manifest["extra"]["search"]["n_trials"] == len(automl.trials_) == 3
    assert manifest["extra"]["metric"] == "roc_auc"
    # the test part was held out of every training and validation fold
    assert len(automl._test_rows) == pytest.approx(0.2 * 240, abs=2)
    assert not set(automl._test_rows) & set(automl._fit_rows)


def test_leaderboard_files_match_the_leaderboard(saved: tuple[AutoML, Path]) -> None:
    automl, path = saved
    board = automl.leaderboard()
    from_csv = pd.read_csv(path / "leaderboard.csv")
    assert list(from_csv.columns) == list(board.columns)
    assert list(from_csv["name"]) == list(board["name"])
    np.testing.assert_allclose(
        from_csv["score"].to_numpy(dtype=float), board["score"].to_numpy(dtype=float)
    )
    from_json = json.loads((path / "leaderboard.json").read_text(encoding="utf-8"))
    assert [row["name"] for row in from_json] == list(board["name"])


def test_altered_model_file_is_refused(saved: tuple[AutoML, Path], tmp_path: Path) -> None:
    _, path = saved
    copy = shutil.copytree(path, tmp_path / "altered")
    model = copy / "model.skops"
    data = bytearray(model.read_bytes())
    data[len(data) // 2] ^= 0xFF
    model.write_bytes(bytes(data))
    with pytest.raises(BundleError, match=r"model\.skops"):
        tunelab.load_bundle(copy)


def test_bundle_keeps_the_test_rows_with_outputs_for_monitoring(
    saved: tuple[AutoML, Path], frame: pd.DataFrame, tmp_path: Path
) -> None:
    automl, path = saved
    bundle = tunelab.load_bundle(path)
    held = bundle.held_back()
    assert held is not None
    rows = automl._test_rows
    assert len(held) == len(rows) == bundle.manifest["held_back_rows"]
    test = frame.iloc[rows]
    assert held["__y"].tolist() == test["label"].astype(str).tolist()
    proba = bundle.predict_proba(test.drop(columns="label"))
    np.testing.assert_allclose(held[["__p:bad", "__p:good"]].to_numpy(), proba.to_numpy())
    assert held["__prediction"].tolist() == list(bundle.predict(test.drop(columns="label")))
    np.testing.assert_allclose(held["lambda"].to_numpy(), test["lambda"].to_numpy())
    copy = shutil.copytree(path, tmp_path / "altered")
    (copy / "held_back.parquet").write_bytes(b"PAR1 not the file")
    with pytest.raises(BundleError, match="held_back"):
        tunelab.load_bundle(copy)


def test_without_a_test_part_the_out_of_fold_rows_are_kept(tmp_path: Path) -> None:
    from automl_frames import regression_frame

    frame = regression_frame(200)
    automl = AutoML(time_budget=None, max_trials=2, algorithms=["decision_tree"], test_ratio=0.0)
    automl.fit(frame, target="price")
    assert not len(automl._test_rows)
    held = tunelab.load_bundle(automl.save(tmp_path / "model")).held_back()
    assert held is not None
    rows = automl._fit_rows[automl._valid_rows]
    assert len(held) == len(rows) > 0
    np.testing.assert_allclose(held["__y"], automl._y[rows])
    oof = np.asarray(automl.final_.oof, dtype=float).reshape(len(rows), -1)[:, 0]
    np.testing.assert_allclose(held["__prediction"], oof)
