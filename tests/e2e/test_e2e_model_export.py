"""The Model page's ONNX and MLflow export buttons in a real browser (English, then Korean)."""

import io
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from e2e_api import train_model
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def _csv(n: int = 200) -> bytes:
    rng = np.random.default_rng(11)
    frame = pd.DataFrame({"x": rng.normal(size=n).round(3), "tier": rng.choice(["a", "b"], n)})
    frame["churn"] = np.where(frame["x"] + rng.normal(scale=0.6, size=n) > 0, "yes", "no")
    return frame.to_csv(index=False).encode()


def test_export_onnx_and_mlflow_from_the_model_page(
    page: Any, shot: Callable[[str], Path]
) -> None:
    settings = {"max_trials": 2, "algorithms": ["logistic_regression"], "test_ratio": 0.25}
    model_id = train_model(
        page.request, _csv(), target="churn", name="export e2e", time_budget=20, settings=settings
    )
    page.goto(f"/models/{model_id}")
    page.get_by_test_id("convert-onnx").click()
    status = page.get_by_test_id("convert-status")
    expect(status).to_contain_text("parity on 2000 rows", timeout=60_000)
    link = page.get_by_test_id("convert-download")
    expect(link).to_be_visible()
    assert link.get_attribute("href").endswith(f"/api/v1/models/{model_id}/export/onnx")
    onnx = page.request.get(link.get_attribute("href"))
    assert onnx.ok
    assert len(onnx.body()) > 100
    shot("onnx-exported")

    page.get_by_test_id("lang-ko").click()
    expect(page.get_by_test_id("convert-mlflow")).to_have_text("MLflow로 내보내기")
    page.get_by_test_id("convert-mlflow").click()
    expect(page.get_by_test_id("convert-status")).to_contain_text("MLFLOW", timeout=60_000)
    href = page.get_by_test_id("convert-download").get_attribute("href")
    archive = zipfile.ZipFile(io.BytesIO(page.request.get(href).body()))
    assert "MLmodel" in archive.namelist()
    shot("mlflow-exported-korean")
