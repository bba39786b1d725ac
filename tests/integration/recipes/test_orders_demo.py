"""`tunelab demo orders` end to end on a small size: files, report, honesty checks, bundle."""

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

pytest.importorskip("torch")

from tunelab.bundles import load_bundle

FILES = [
    "orders_data.xlsx",
    "view_counts_data.xlsx",
    "preprocessed_orders_data.xlsx",
    "orders_data_after_drop_duplication.xlsx",
    "split.csv",
    "bundle/manifest.json",
    "bundle/model.skops",
    "report.md",
    "report.html",
    "report.json",
    "figures/r2.png",
    "figures/fit.png",
]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    from tunelab.cli import demo_cmd

    app = typer.Typer()
    demo_cmd.register(app)
    out = tmp_path_factory.mktemp("orders") / "demo"
    args = [
        "demo",
        "orders",
        "--orders",
        "500",
        "--seed",
        "1",
        "--epochs",
        "15",
        "--out",
        str(out),
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "verdict:" in result.output
    return out, json.loads((out / "report.json").read_text())


def test_writes_every_file_and_the_report_fields(demo: tuple[Path, dict[str, Any]]) -> None:
    out, report = demo
    for name in FILES:
        assert (out / name).is_file(), name
        assert (out / "variant_views_drive_quantity" / name).is_file() or name.startswith(
            ("report", "figures")
        ), name
    deduped = pd.read_excel(out / "orders_data_after_drop_duplication.xlsx")
    assert report["rows_after_dedupe"] == len(deduped)
    assert not deduped.duplicated(["accountId", "productId"]).any()
    merged = pd.read_excel(out / "preprocessed_orders_data.xlsx")
    assert len(merged) == report["data"]["order_items"] > len(deduped)
    assert merged["viewCount"].notna().all()
    names = [m["name"] for m in report["models"]]
    assert names == ["mean_baseline", "mlp_ensemble_10"]
    for m in report["models"]:
        assert {"name", "test_r2", "test_rmse", "ci"} <= set(m)
        low, high = m["ci"]
        assert low <= high
        assert np.isfinite([low, high, m["test_r2"], m["test_rmse"]]).all()
    html = (out / "report.html").read_text()
    assert "figures/r2.png" in html
    assert "Verdict" in html


def test_scaler_saw_only_the_training_rows(demo: tuple[Path, dict[str, Any]]) -> None:
    out, report = demo
    split = pd.read_csv(out / "split.csv")
    train = split[split["part"] == "train"]
    assert len(train) == report["data"]["train_rows"]
    assert (split["part"] == "test").sum() == report["data"]["test_rows"]
    scaler = load_bundle(out / "bundle").model.named_steps["scale"]
    assert scaler.n_samples_seen_ == len(train)
    assert scaler.mean_[0] == pytest.approx(train["viewCount"].mean())
    assert scaler.mean_[0] != pytest.approx(split["viewCount"].mean(), rel=1e-9)


def test_verdicts_follow_the_numbers(demo: tuple[Path, dict[str, Any]]) -> None:
    _, report = demo
    by_name = {m["name"]: m for m in report["models"]}
    # independent views: the ensemble is not significantly better than the mean
    assert report["verdict"]["signal"] is False
    assert report["r2_gain"]["ci"][0] <= 0
    assert by_name["mlp_ensemble_10"]["test_r2"] < 0.05
    # views drive quantity: the same pipeline finds it
    variant = report["variant_views_drive_quantity"]
    v = {m["name"]: m for m in variant["models"]}
    assert variant["verdict"]["signal"] is True
    assert variant["r2_gain"]["ci"][0] > 0
    assert v["mlp_ensemble_10"]["ci"][0] > v["mean_baseline"]["ci"][1]
    assert "carries signal" in variant["verdict"]["text"]


def test_bundle_loads_predicts_and_serves(demo: tuple[Path, dict[str, Any]]) -> None:
    from tunelab.server.predictor import Predictor

    out, _ = demo
    bundle = load_bundle(out / "variant_views_drive_quantity" / "bundle")
    assert bundle.feature_columns == ["viewCount"]
    members = bundle.model.named_steps["ensemble"].estimators_
    assert len(members) == 10
    frame = pd.DataFrame({"viewCount": [1_000, 5_500, 10_000]})
    pred = bundle.predict(frame)
    mean_of_members = np.mean(
        [m.predict(bundle.model.named_steps["scale"].transform(frame)) for m in members], axis=0
    )
    np.testing.assert_allclose(pred, mean_of_members)
    assert pred[0] < pred[2]  # more views, more pieces in the variant
    answer = Predictor("d1", "m1", bundle, frozenset(bundle.feature_columns)).predict(
        [{"viewCount": 5_500}]
    )
    assert answer["predictions"] == pytest.approx([pred[1]])
