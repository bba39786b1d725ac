"""`tunelab automl DATA --task clustering` and `tunelab predict` on a clustering bundle."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_blobs
from typer.testing import CliRunner

from tunelab.cli._app import build_app


def _tunelab() -> str:
    found = shutil.which("tunelab") or shutil.which(
        "tunelab", path=str(Path(sys.executable).parent)
    )
    if found is None:
        pytest.fail("the tunelab console script is not installed in this environment")
    return found


def _csv(path: Path) -> Path:
    X, y = make_blobs(n_samples=150, centers=3, n_features=3, cluster_std=0.5, random_state=4)
    frame = pd.DataFrame(X, columns=["width", "height", "길이"])
    frame["segment"] = np.array(["a", "b", "c"])[y]
    frame.to_csv(path, index=False)
    return path


def test_cluster_then_predict_end_to_end(tmp_path: Path) -> None:
    data = _csv(tmp_path / "points.csv")
    out = tmp_path / "run"
    run = subprocess.run(
        [_tunelab(), "automl", str(data), "--task", "clustering", "--n-clusters", "auto",
         "--label", "segment", "--time-budget", "6", "--max-trials", "20", "--out", str(out)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "with 3 clusters" in run.stdout
    assert "adjusted Rand 1.0000" in run.stdout
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["task"] == "clustering"
    assert (out / "report" / "index.html").is_file()

    predictions = tmp_path / "pred.csv"  # in-process: a second interpreter only adds imports
    done = CliRunner().invoke(
        build_app(), ["predict", str(out), str(data), "--out", str(predictions)]
    )
    assert done.exit_code == 0, done.output
    result = pd.read_csv(predictions)
    fitted = pd.read_csv(out / "clusters.csv")
    np.testing.assert_array_equal(result["cluster"], fitted["cluster"])
    distances = result[[f"distance_{i}" for i in range(3)]].to_numpy()
    np.testing.assert_array_equal(distances.argmin(axis=1), result["cluster"])

    scored = CliRunner().invoke(build_app(), ["evaluate", str(out), str(data)])
    assert scored.exit_code == 0, scored.output
    assert json.loads(scored.stdout)["adjusted_rand"] == 1.0


def test_fixed_k_and_bad_input(tmp_path: Path) -> None:
    data = _csv(tmp_path / "points.csv")
    runner = CliRunner()
    app = build_app()
    result = runner.invoke(
        app,
        ["automl", str(data), "--task", "clustering", "--n-clusters", "4", "--label", "segment",
         "--algorithms", "kmeans", "--time-budget", "5", "--out", str(tmp_path / "k4")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "k4" / "manifest.json").read_text())["extra"]["n_clusters"] == 4

    missing = runner.invoke(
        app,
        ["automl", str(data), "--task", "clustering", "--label", "group", "--time-budget", "5",
         "--out", str(tmp_path / "bad")],
    )  # fmt: skip
    assert missing.exit_code == 2
    assert "label column 'group' is not in the table" in missing.output

    no_target = runner.invoke(app, ["automl", str(data), "--out", str(tmp_path / "sup")])
    assert no_target.exit_code == 2
    assert "--target is required" in no_target.output
