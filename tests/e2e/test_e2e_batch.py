"""The batch prediction page (upload a file, watch progress, download) and the deployment
page's traffic editor, in a real browser."""

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from e2e_api import ok, train_model
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def _frame(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"x": rng.normal(size=n).round(3), "tier": rng.choice(["a", "b"], n)})
    frame["churn"] = np.where(frame["x"] + rng.normal(scale=0.6, size=n) > 0, "yes", "no")
    return frame


_TRAINED: dict[str, str] = {}  # one short AutoML run for the module's tests


def _model(page: Any) -> str:
    if "id" not in _TRAINED:
        settings = {"max_trials": 2, "algorithms": ["logistic_regression"], "test_ratio": 0.25}
        csv = _frame(200, 3).to_csv(index=False).encode()
        _TRAINED["id"] = train_model(
            page.request, csv, target="churn", name="batch e2e", time_budget=20, settings=settings
        )
    return _TRAINED["id"]


def test_batch_prediction_page(page: Any, shot: Callable[[str], Path], tmp_path: Path) -> None:
    model_id = _model(page)
    deployment = ok(page.request.post("/api/v1/deployments", data={"model_id": model_id}))
    page.goto(f"/deployments/{deployment['id']}")
    page.get_by_test_id("open-batch").click()
    expect(page.get_by_test_id("batch-none")).to_be_visible()
    to_score = tmp_path / "to_score.csv"
    _frame(1500, 9).drop(columns=["churn"]).to_csv(to_score, index=False)
    page.get_by_test_id("batch-file").set_input_files(str(to_score))
    page.get_by_test_id("batch-submit").click()
    box = page.get_by_test_id("batch-progress-box")
    expect(box).to_have_attribute("data-status", "succeeded", timeout=90_000)
    expect(page.get_by_test_id("batch-status")).to_contain_text("1500")
    expect(page.get_by_test_id("batch-downloads")).to_be_visible()
    shot("batch-done")
    result = page.request.get(page.get_by_test_id("batch-csv").get_attribute("href"))
    table = pd.read_csv(io.BytesIO(result.body()))
    assert len(table) == 1500
    assert {"prediction", "proba_yes", "proba_no"} <= set(table.columns)
    parquet = page.request.get(page.get_by_test_id("batch-parquet").get_attribute("href"))
    assert len(pd.read_parquet(io.BytesIO(parquet.body()))) == 1500

    page.reload()
    expect(page.get_by_test_id("batch-job")).to_have_count(1)
    page.get_by_test_id("lang-ko").click()
    expect(page.get_by_test_id("batch-submit")).to_have_text("업로드하고 예측")
    shot("batch-korean")


def test_traffic_editor(page: Any, shot: Callable[[str], Path], console: Any) -> None:
    model_id = _model(page)
    name = "e2e-traffic"
    ok(page.request.post("/api/v1/registry", data={"name": name}))
    for _ in range(2):  # v1 and v2: the same model, registered twice
        ok(page.request.post(f"/api/v1/registry/{name}/versions", data={"model_id": model_id}))
    for alias, version in (("champion", 1), ("challenger", 2)):
        ok(page.request.put(f"/api/v1/registry/{name}/aliases/{alias}", data={"version": version}))
    deployment = ok(page.request.post("/api/v1/deployments", data={"model": f"{name}@champion"}))
    page.goto(f"/deployments/{deployment['id']}")
    card = page.get_by_test_id("traffic-card")
    expect(card).to_have_attribute("data-loaded", "true")
    expect(page.get_by_test_id("traffic-route")).to_have_count(1)
    expect(page.get_by_test_id("traffic-route-serving")).to_contain_text(f"{name}/1")
    page.get_by_test_id("traffic-route-weight").fill("90")
    page.get_by_test_id("traffic-add-route").click()
    page.get_by_test_id("traffic-route-model").nth(1).fill(f"{name}@challenger")
    page.get_by_test_id("traffic-route-weight").nth(1).fill("10")
    expect(page.get_by_test_id("traffic-route-share").nth(1)).to_have_text("10%")
    page.get_by_test_id("traffic-add-shadow").click()
    page.get_by_test_id("traffic-shadow-model").fill(f"{name}/2")
    page.get_by_test_id("traffic-sticky").check()
    page.get_by_test_id("traffic-save").click()
    expect(page.get_by_test_id("traffic-ok")).to_be_visible()
    expect(page.get_by_test_id("traffic-route-serving").nth(1)).to_contain_text(f"{name}/2")
    saved = ok(page.request.get(f"/api/v1/deployments/{deployment['id']}/traffic"))
    assert [(r["model"], r["weight"]) for r in saved["routes"]] == [
        (f"{name}@champion", 90),
        (f"{name}@challenger", 10),
    ]
    assert saved["sticky"] is True
    assert [s["model"] for s in saved["shadow"]] == [f"{name}/2"]
    shot("traffic-saved")

    console.allow(r"status of 404")  # the refused reference below
    page.get_by_test_id("traffic-route-model").nth(1).fill(f"{name}@nope")
    page.get_by_test_id("traffic-save").click()
    expect(page.get_by_test_id("traffic-error")).to_contain_text("nope")
    page.get_by_test_id("lang-ko").click()
    expect(page.get_by_test_id("traffic-save")).to_have_text("트래픽 저장")
    shot("traffic-korean")
