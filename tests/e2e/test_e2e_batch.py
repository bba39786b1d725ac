"""The batch prediction page in a real browser: upload a file, watch progress, download."""

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


def test_batch_prediction_page(page: Any, shot: Callable[[str], Path], tmp_path: Path) -> None:
    settings = {"max_trials": 2, "algorithms": ["logistic_regression"], "test_ratio": 0.25}
    csv = _frame(200, 3).to_csv(index=False).encode()
    model_id = train_model(
        page.request, csv, target="churn", name="batch e2e", time_budget=20, settings=settings
    )
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
