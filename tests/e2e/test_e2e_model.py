"""The Model page in a real browser: pipeline, compute the evaluation, plots, export error,
Korean, deploy."""

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from e2e_api import ok, train_model
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def _csv(n: int = 240) -> bytes:
    rng = np.random.default_rng(7)
    frame = pd.DataFrame({"x": rng.normal(size=n).round(3), "tier": rng.choice(["a", "b"], n)})
    frame["churn"] = np.where(frame["x"] + rng.normal(scale=0.6, size=n) > 0, "yes", "no")
    return frame.to_csv(index=False).encode()


def _train_model(request: Any) -> str:
    """A short real AutoML run through the REST API; the best model's id."""
    settings = {"max_trials": 2, "algorithms": ["logistic_regression"], "test_ratio": 0.25}
    return train_model(
        request, _csv(), target="churn", name="model page e2e", time_budget=20, settings=settings
    )


def test_model_page_evaluate_and_deploy(
    page: Any, shot: Callable[[str], Path], console: Any
) -> None:
    model_id = _train_model(page.request)
    page.goto(f"/models/{model_id}")
    expect(page.get_by_test_id("pipeline-diagram")).to_be_visible(timeout=30_000)
    expect(page.get_by_test_id("hyperparameters")).to_contain_text("LogisticRegression")
    expect(page.get_by_test_id("metrics-table")).to_contain_text("roc_auc")
    shot("before-evaluation")

    page.get_by_test_id("evaluate-compute").click()
    expect(page.get_by_test_id("evaluation")).to_have_attribute(
        "data-status", "ready", timeout=90_000
    )
    plot = page.get_by_test_id("model-plot")
    expect(plot).to_have_attribute("data-rendered", "roc", timeout=20_000)
    expect(plot.locator(".main-svg").first).to_be_visible()
    for name in ("confusion_matrix", "threshold", "calibration", "gain", "importance"):
        page.get_by_test_id(f"plot-tab-{name}").click()
        expect(plot).to_have_attribute("data-rendered", name)
        if name == "confusion_matrix":  # 0 % cells are the lightest, 100 % the darkest
            scale = plot.evaluate("el => el.data[0].colorscale")
            ends = (scale[0][1], scale[-1][1])
            light, dark = (sum(int(c[i : i + 2], 16) for i in (1, 3, 5)) for c in ends)
            assert light > dark, scale
    expect(page.get_by_test_id("metrics-table")).to_contain_text("held-out rows")
    shot("evaluated")

    page.get_by_test_id("export-url").fill("ftp://example.org/model")
    console.allow(r"status of 422")  # the refused export below
    page.get_by_test_id("export-submit").click()
    expect(page.get_by_test_id("export-error")).to_contain_text("s3://")
    expect(page.get_by_test_id("export-url")).to_have_value("ftp://example.org/model")

    page.get_by_test_id("lang-ko").click()
    expect(page.get_by_test_id("model-deploy")).to_have_text("배포")
    page.get_by_test_id("plot-tab-roc").click()
    expect(page.get_by_test_id("model-plot")).to_have_attribute("data-rendered", "roc")
    expect(page.get_by_test_id("model-plot")).to_contain_text("위양성률")  # axis in Korean
    shot("korean")
    page.get_by_test_id("lang-en").click()

    page.get_by_test_id("model-deploy").click()
    page.wait_for_url(re.compile(r"/deployments/[0-9a-f]+$"))
    deployment_id = page.url.rstrip("/").split("/")[-1]
    if page.request.get(page.url).status == 404:  # the Deployments page is another area's
        console.allow(r"status of 404")
    deployment = ok(page.request.get(f"/api/v1/deployments/{deployment_id}"))
    assert deployment["model_id"] == model_id
