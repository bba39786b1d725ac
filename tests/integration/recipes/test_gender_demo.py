"""The gender recipe end to end on a small simulated log."""

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from tunelab.recipes.gender import run_gender_demo


def _check_report(out: Path, names: list[str]) -> dict:
    report = json.loads((out / "report.json").read_text())
    assert 0.55 < report["bayes_optimal_accuracy"] < 0.75
    assert [m["name"] for m in report["models"]] == names
    for m in report["models"]:
        assert set(m) >= {"name", "test_accuracy", "test_macro_f1", "ci", "ratio_to_bayes"}
        for key in ("accuracy", "macro_f1"):
            lo, hi = m["ci"][key]
            assert lo <= m[f"test_{key}"] <= hi
    assert "97%" in report["verdict"]
    expected = [
        "report.md", "report.html", "features.csv", "data/events.parquet", "data/events.csv",
        "mappings/product_category.v1.csv", "mappings/keyword_category.v1.csv",
        "mappings/mappings.v1.json", "figures/comparison.png", "figures/comparison.html",
        f"figures/confusion_{names[0]}.png", f"figures/age_groups_{names[0]}.html",
    ]  # fmt: skip
    for name in expected:
        assert (out / name).is_file(), name
    page = (out / "figures" / f"confusion_{names[0]}.html").read_text()
    assert "#ccffcc" in page
    assert "#ffcccc" in page
    assert '<script src="https://cdn' not in page  # plotly.js is embedded: works offline
    assert len(page) > 1_000_000
    return report


def test_baseline_only_run_writes_the_documented_report(tmp_path: Path) -> None:
    report = run_gender_demo(tmp_path, sessions=600, seed=1, n_boot=100)
    _check_report(tmp_path, ["baseline"])
    assert any("skipped" in n for n in report["notes"])
    assert report["data"]["train_users"] + report["data"]["test_users"] > 0


@pytest.mark.slow
def test_cli_runs_baseline_automl_and_katib_tuning(tmp_path: Path) -> None:
    from tunelab.cli import demo_cmd

    app = typer.Typer()
    demo_cmd.register(app)
    out = tmp_path / "demo"
    result = CliRunner().invoke(
        app,
        ["demo", "gender", "--sessions", "1500", "--seed", "3", "--automl-budget", "10",
         "--tune-trials", "2", "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    _check_report(out, ["baseline", "automl", "tuned"])
    experiment = json.loads((out / "tuning" / "out" / "experiment.json").read_text())
    assert experiment["currentOptimalTrial"]["parameterAssignments"]
