"""`tunelab automl` settings options, the --out check before the search, and
`predict --proba` on a regression model."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression
from typer.testing import CliRunner

import tunelab.automl
from tunelab.bundles import save_bundle
from tunelab.cli._app import build_app


def _train(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=60), "b": rng.normal(size=60)})
    frame["y"] = np.where(frame["a"] > 0, "p", "n")
    path = tmp_path / "train.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.fixture
def no_search(monkeypatch: pytest.MonkeyPatch) -> None:
    def searched(*args: object, **kwargs: object) -> None:
        raise AssertionError("the search ran")

    monkeypatch.setattr(tunelab.automl.AutoML, "fit", searched)


@pytest.mark.parametrize("where", ["file", "under_a_file"])
def test_an_unwritable_out_is_refused_before_the_search(
    tmp_path: Path, no_search: None, where: str
) -> None:
    blocker = tmp_path / "taken.txt"
    blocker.write_text("x")
    out = blocker if where == "file" else blocker / "model"
    args = ["automl", str(_train(tmp_path)), "--target", "y", "--out", str(out)]
    result = CliRunner().invoke(build_app(), [*args, "--max-trials", "1"])
    assert result.exit_code == 2, result.output
    assert f"--out {out}" in result.output
    assert "the search ran" not in result.output


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (["--time-budget", "nan"], "--time-budget (time_budget): must be a finite number"),
        (["--time-budget", "900000"], "less than or equal to 604800"),
        (["--split", "group"], "--split-column (split.column): a group split needs"),
        (["--holdout", "0.6:0.2:0.2", "--repeats", "0"], "--repeats (split.repeats)"),
        (["--infer-limit", "0"], "--infer-limit (infer_limit): must be greater than 0"),
        (["--memory-limit-mb", "-5"], "--memory-limit-mb (memory_limit_mb)"),
        (["--feature-engineering", "pca,magic"], "preprocessing.feature_engineering"),
        (["--column-ranges", "1:2"], "--column-ranges '1:2'"),
        (["--sample-size", "0"], "--sample-size (sampling.size)"),
        (["--synthesizer", "gan"], "--synthesizer"),
    ],
)
def test_bad_settings_options_name_option_and_field(
    tmp_path: Path, no_search: None, extra: list[str], expected: str
) -> None:
    args = ["automl", str(_train(tmp_path)), "--target", "y", "--out", str(tmp_path / "m")]
    result = CliRunner().invoke(build_app(), [*args, *extra], env={"COLUMNS": "200"})
    assert result.exit_code == 2, result.output
    assert expected in " ".join(result.output.split()), result.output
    assert not (tmp_path / "m").exists()


def test_every_option_reaches_the_settings_object(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[object] = []

    def record(settings: object, **kwargs: object) -> object:
        seen.append(settings)
        raise tunelab.entities.ConfigError("recorded")

    monkeypatch.setattr(tunelab.automl.AutoML, "from_settings", staticmethod(record))
    args = ["automl", str(_train(tmp_path)), "--target", "y", "--out", str(tmp_path / "m")]
    options = [
        "--split", "time", "--split-column", "a", "--cv", "4", "--no-shuffle",
        "--sample-ratio", "0.5", "--balance-to", "minority", "--smote",
        "--synthesizer", "ctgan",
        "--encoding", "onehot", "--scaling", "robust", "--variance-threshold", "0.01",
        "--onehot-max-categories", "12", "--feature-engineering", "select_kbest, pca",
        "--no-refit-final", "--infer-limit", "0.001", "--memory-limit-mb", "512",
        "--early-stopping-rounds", "5", "--trial-timeout", "9", "--sampler", "qmc",
    ]  # fmt: skip
    result = CliRunner().invoke(build_app(), [*args, *options])
    assert "recorded" in result.output
    (settings,) = seen
    stored = settings.stored()  # type: ignore[attr-defined]
    assert stored["split"] == {
        "kind": "time",
        "folds": 4,
        "test_ratio": 0.2,
        "shuffle": False,
        "column": "a",
    }
    assert stored["sampling"] == {
        "ratio": 0.5,
        "balance_to": "minority",
        "smote": True,
        "synthesizer": "ctgan",
    }
    assert stored["preprocessing"] == {
        "encoding": "onehot",
        "scaling": "robust",
        "variance_threshold": 0.01,
        "onehot_max_categories": 12,
        "feature_engineering": ["select_kbest", "pca"],
    }
    assert (stored["refit_final"], stored["infer_limit"]) == (False, 0.001)
    assert (stored["memory_limit_mb"], stored["early_stopping_rounds"]) == (512, 5)
    assert (stored["trial_timeout"], stored["sampler"]) == (9, "qmc")


def test_predict_proba_on_a_regression_model_writes_prediction(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    X = pd.DataFrame({"a": rng.normal(size=40), "b": rng.normal(size=40)})
    y = 2 * X["a"] - X["b"]
    bundle = save_bundle(
        tmp_path / "bundle",
        LinearRegression().fit(X, y),
        task="regression",
        target="y",
        classes=None,
        feature_columns=list(X.columns),
        input_schema=X,
    )
    data = tmp_path / "new.csv"
    X.head(5).to_csv(data, index=False)
    out = tmp_path / "pred.csv"
    result = CliRunner().invoke(
        build_app(), ["predict", str(bundle), str(data), "--out", str(out), "--proba"]
    )
    assert result.exit_code == 0, result.output
    written = pd.read_csv(out)
    assert list(written.columns) == ["prediction"]
    np.testing.assert_allclose(written["prediction"], y.head(5), atol=1e-6)
