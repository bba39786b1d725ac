"""`tunelab automl`, `predict`, `evaluate` and `profile`: a real end-to-end run and bad input."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from typer.testing import CliRunner

from tunelab.bundles import save_bundle
from tunelab.cli import _live
from tunelab.cli._app import build_app
from tunelab.entities import ConfigError


def _tunelab() -> str:
    found = shutil.which("tunelab") or shutil.which(
        "tunelab", path=str(Path(sys.executable).parent)
    )
    if found is None:
        pytest.fail("the tunelab console script is not installed in this environment")
    return found


def _table(n_rows: int = 240, seed: int = 0) -> pd.DataFrame:
    X, y = make_classification(
        n_samples=n_rows, n_features=4, n_informative=3, n_redundant=0, random_state=seed
    )
    # column names that are Python keywords, hold spaces or Korean characters
    frame = pd.DataFrame(X, columns=["class", "lambda", "my feature", "나이"])
    frame["outcome"] = np.array(["bad", "good"])[y]
    return frame


def _invoke(args: list[str]) -> Any:
    return CliRunner().invoke(build_app(), args)


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the installed ``tunelab`` console script; it must succeed."""
    env = {**os.environ, "COLUMNS": "120"}
    done = subprocess.run(
        [_tunelab(), *args], capture_output=True, text=True, timeout=600, env=env, check=False
    )
    assert done.returncode == 0, done.stderr
    return done


@pytest.mark.slow
def test_automl_predict_evaluate_end_to_end(tmp_path: Path) -> None:
    table = _table(380)  # one problem: train, new rows and labelled rows from it
    train = tmp_path / "train.csv"
    table.iloc[:240].to_csv(train, index=False)
    new = tmp_path / "new.csv"
    table.iloc[240:300].drop(columns="outcome").to_csv(new, index=False)
    labelled = tmp_path / "labelled.csv"
    table.iloc[300:].to_csv(labelled, index=False)
    model = tmp_path / "model"
    run = _run

    trained = run(
        "automl", str(train), "--target", "outcome", "--out", str(model),
        "--max-trials", "3", "--algorithms", "logistic_regression,decision_tree",
        "--cv", "3", "--seed", "1",
    )  # fmt: skip
    assert "saved model bundle" in trained.stdout
    assert "rank" in trained.stdout
    assert "score" in trained.stdout
    for name in ("manifest.json", "model.skops", "leaderboard.csv", "report/index.html"):
        assert (model / name).is_file(), name
    board = pd.read_csv(model / "leaderboard.csv")
    assert len(board[board["trial"] >= 0]) == 3
    manifest = json.loads((model / "manifest.json").read_text(encoding="utf-8"))
    assert "test" in manifest["metrics"]  # --test-ratio defaults to 0.2 with --cv

    labels_out = tmp_path / "pred.csv"
    run("predict", str(model), str(new), "--out", str(labels_out))
    labels = pd.read_csv(labels_out)
    assert list(labels.columns) == ["prediction"]
    assert len(labels) == 60
    assert set(labels["prediction"]) <= {"bad", "good"}

    proba_out = tmp_path / "proba.parquet"
    run("predict", str(model), str(new), "--out", str(proba_out), "--proba")
    proba = pd.read_parquet(proba_out)
    assert list(proba.columns) == ["bad", "good"]
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    picked = proba.columns.to_numpy()[proba.to_numpy().argmax(axis=1)]
    np.testing.assert_array_equal(picked, labels["prediction"].to_numpy())

    evaluated = run("evaluate", str(model), str(labelled))
    metrics = json.loads(evaluated.stdout)
    auc = metrics["roc_auc"]
    assert auc["ci_low"] <= auc["value"] <= auc["ci_high"]
    assert auc["value"] > 0.7


@pytest.fixture
def small_bundle(tmp_path: Path) -> Path:
    """A real (cheap) bundle written with save_bundle."""
    frame = _table(80)
    X = frame.drop(columns="outcome")
    y = (frame["outcome"] == "good").astype(int)
    model = LogisticRegression().fit(X, y)
    return save_bundle(
        tmp_path / "bundle",
        model,
        task="binary",
        target="outcome",
        classes=["bad", "good"],
        feature_columns=list(X.columns),
        input_schema=X,
    )


def test_predict_as_a_real_process_then_evaluate(small_bundle: Path, tmp_path: Path) -> None:
    table = _table(80)
    data = tmp_path / "new.xlsx"
    table.drop(columns="outcome").to_excel(data, index=False)
    out = tmp_path / "pred.parquet"
    done = _run("predict", str(small_bundle), str(data), "--out", str(out), "--proba")
    assert "wrote 80 predictions" in done.stdout
    proba = pd.read_parquet(out)
    assert list(proba.columns) == ["bad", "good"]
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    labelled = tmp_path / "labelled.csv"
    table.to_csv(labelled, index=False)
    evaluated = _invoke(["evaluate", str(small_bundle), str(labelled)])
    assert evaluated.exit_code == 0, evaluated.output
    metrics = json.loads(evaluated.stdout)
    assert metrics["accuracy"]["value"] > 0.7  # the bundle was fitted on these rows
    assert metrics["accuracy"]["ci_low"] <= metrics["accuracy"]["value"]


def test_predict_refuses_an_altered_bundle(small_bundle: Path, tmp_path: Path) -> None:
    data = tmp_path / "new.csv"
    _table(10).to_csv(data, index=False)
    out = tmp_path / "pred.csv"
    assert _invoke(["predict", str(small_bundle), str(data), "--out", str(out)]).exit_code == 0
    model_file = small_bundle / "model.skops"
    content = bytearray(model_file.read_bytes())
    content[-10] ^= 0xFF
    model_file.write_bytes(bytes(content))
    out.unlink()
    result = _invoke(["predict", str(small_bundle), str(data), "--out", str(out)])
    assert result.exit_code == 2
    assert "error:" in result.output
    assert "model.skops" in result.output
    assert not out.exists()


def test_predict_names_missing_columns(small_bundle: Path, tmp_path: Path) -> None:
    data = tmp_path / "new.csv"
    _table(10).drop(columns=["lambda"]).to_csv(data, index=False)
    result = _invoke(["predict", str(small_bundle), str(data), "--out", str(tmp_path / "p.csv")])
    assert result.exit_code == 2
    assert "lambda" in result.output


def test_corrupt_xlsx_exits_2_with_a_message(tmp_path: Path) -> None:
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04 this is not really a workbook")
    result = _invoke(["automl", str(path), "--target", "y", "--out", str(tmp_path / "m")])
    assert result.exit_code == 2
    assert "broken.xlsx" in result.output
    assert "xlsx" in result.output
    assert not (tmp_path / "m").exists()


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (["--holdout", "0.6:x:0.2"], "--holdout '0.6:x:0.2'"),
        (["--holdout", "0.8:0.2"], "three ratios"),
        (["--cv", "1"], "--cv (split.folds): must be greater than or equal to 2"),
        (["--time-budget", "nan"], "--time-budget (time_budget): must be a finite number"),
        (["--algorithms", ""], "omit it for all families"),
        (["--sample-ratio", "1.5"], "--sample-ratio (sampling.ratio)"),
        (["--cv", "3", "--holdout", "0.6:0.2:0.2"], "exclusive"),
        (["--algorithms", "logistic_regression,nope"], "unknown algorithm 'nope'"),
        (["--metric", "accuracyy"], "unknown metric 'accuracyy'"),
        (["--task", "ranking"], "--task (task): choose"),
        (["--ensemble", "bagging"], "'bagging' is not one of"),
    ],
)
def test_bad_options_exit_2_naming_the_problem(
    tmp_path: Path, extra: list[str], expected: str
) -> None:
    train = tmp_path / "train.csv"
    _table(60).to_csv(train, index=False)
    args = ["automl", str(train), "--target", "outcome", "--out", str(tmp_path / "m")]
    result = _invoke([*args, "--max-trials", "1", *extra])
    assert result.exit_code == 2, result.output
    assert expected in result.output
    assert not (tmp_path / "m").exists()


@pytest.mark.parametrize(
    ("content", "expected"),
    [(b"", "is empty"), (b"a,b,outcome\n", "header but no data rows")],
)
def test_empty_tables_exit_2(tmp_path: Path, content: bytes, expected: str) -> None:
    path = tmp_path / "train.csv"
    path.write_bytes(content)
    result = _invoke(["automl", str(path), "--target", "outcome", "--out", str(tmp_path / "m")])
    assert result.exit_code == 2
    assert expected in result.output


def test_missing_target_column_is_named(tmp_path: Path) -> None:
    train = tmp_path / "train.csv"
    _table(60).to_csv(train, index=False)
    result = _invoke(["automl", str(train), "--target", "outcom", "--out", str(tmp_path / "m")])
    assert result.exit_code == 2
    assert "'outcom'" in result.output


@pytest.mark.parametrize(("task", "greater"), [("regression", False), ("binary", True)])
def test_live_view_ranks_by_the_default_metric_direction(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, task: str, greater: bool
) -> None:
    seen: dict[str, Any] = {}

    class Recorder:
        def __init__(self, console: Any, **kwargs: Any) -> None:
            seen.update(kwargs)
            raise ConfigError("recorded; stopping before the search")

    monkeypatch.setattr(_live, "LiveSearchView", Recorder)
    frame = _table(60)
    if task == "regression":
        frame["outcome"] = frame["lambda"] * 3.0 + 1.0
    train = tmp_path / "train.csv"
    frame.to_csv(train, index=False)
    result = _invoke(["automl", str(train), "--target", "outcome", "--out", str(tmp_path / "m")])
    assert result.exit_code == 2
    assert "recorded" in result.output
    assert seen["greater_is_better"] is greater


def test_profile_prints_columns_and_class_counts(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    _table(50).to_csv(path, index=False)
    result = _invoke(["profile", str(path), "--target", "outcome", "--json"])
    assert result.exit_code == 0, result.output
    profile = json.loads(result.output)
    assert profile["n_rows"] == 50
    assert [c["name"] for c in profile["columns"]][:4] == ["class", "lambda", "my feature", "나이"]
    assert sum(profile["class_counts"].values()) == 50
    table = _invoke(["profile", str(path)])
    assert table.exit_code == 0
    assert "나이" in table.output


def test_evaluate_names_a_missing_target(small_bundle: Path, tmp_path: Path) -> None:
    data = tmp_path / "new.csv"
    _table(10).drop(columns="outcome").to_csv(data, index=False)
    result = _invoke(["evaluate", str(small_bundle), str(data)])
    assert result.exit_code == 2
    assert "'outcome'" in result.output


def test_automl_process_counts_its_budget_from_its_start_and_records_timings(
    tmp_path: Path,
) -> None:
    """A real process: its output is flushed before the immediate exit, and timings.json
    holds the fit's and the save's phases with the command's start-up."""
    train = tmp_path / "train.csv"
    _table(120).to_csv(train, index=False)
    model = tmp_path / "model"
    done = _run(
        "automl", str(train), "--target", "outcome", "--out", str(model),
        "--time-budget", "30", "--max-trials", "2", "--algorithms", "logistic_regression",
        "--cv", "2",
    )  # fmt: skip
    assert "saved model bundle" in done.stdout  # flushed before os._exit
    timings = json.loads((model / "timings.json").read_text())
    assert timings["command"]["startup"] > 0  # the interpreter's start-up counted
    assert timings["command"]["until_saved"] >= timings["fit"]["fit"]
    assert timings["fit"]["before_fit"] == timings["command"]["startup"]
    assert {"evaluation", "bundle", "report"} <= set(timings["save"])
