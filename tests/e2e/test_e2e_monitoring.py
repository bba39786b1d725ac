"""The Monitoring tab in a real browser: shifted traffic shows as drift with distribution
plots, labels give a measured performance row, an alert rule is added through the form,
and the page reads in Korean."""

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from e2e_api import ok, train_model, wait_for
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def _frame(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {"tenure": rng.integers(1, 60, n), "plan": rng.choice(["basic", "pro", "max"], n)}
    )
    frame["churn"] = np.where(frame["tenure"] + rng.normal(scale=8, size=n) < 25, "yes", "no")
    return frame


def _warm(request: Any) -> None:
    """Create (and drop) an experiment with a long timeout: the server's first settings check
    imports the ML libraries, which takes more than the default 15 s on a busy machine."""
    upload = {"file": {"name": "w.csv", "mimeType": "text/csv", "buffer": b"a,b\n1,2\n3,4\n"}}
    dataset = ok(request.post("/api/v1/datasets", multipart=upload))
    if dataset.get("job_id"):
        wait_for(request, f"/api/v1/jobs/{dataset['job_id']}", lambda j: j["finished_at"], 120)
    body = {"dataset_id": dataset["id"], "target": "b"}
    created = ok(request.post("/api/v1/experiments", data=body, timeout=180_000))
    request.delete(f"/api/v1/experiments/{created['id']}")


def test_monitoring_tab(page: Any, shot: Callable[[str], Path]) -> None:
    _warm(page.request)
    csv = _frame(300, 5).to_csv(index=False).encode()
    settings = {"max_trials": 2, "algorithms": ["lightgbm"]}
    model_id = train_model(
        page.request, csv, target="churn", name="monitoring e2e", time_budget=10,
        settings=settings,
    )  # fmt: skip
    deployment = ok(page.request.post("/api/v1/deployments", data={"model_id": model_id}))["id"]
    live = _frame(600, 6)
    live["plan"] = "enterprise"  # a category the model never saw
    records = live[["tenure", "plan"]].to_dict("records")
    answer = ok(
        page.request.post(f"/api/v1/deployments/{deployment}/predict", data={"records": records})
    )
    labels = [
        {"prediction_id": i, "label": y}
        for i, y in zip(answer["prediction_ids"], live["churn"], strict=True)
    ]
    ok(page.request.post(f"/api/v1/deployments/{deployment}/labels", data={"labels": labels}))

    page.goto(f"/deployments/{deployment}")
    page.get_by_test_id("monitoring-tab").click()
    page.wait_for_url(re.compile(rf"/deployments/{deployment}/monitoring$"))
    expect(page.get_by_test_id("drift-table")).to_be_visible()
    expect(page.get_by_test_id("drifted-plan")).to_contain_text("yes")
    expect(page.get_by_test_id("drift-row-plan")).to_contain_text("enterprise")
    expect(page.get_by_test_id("dist-tenure").locator(".bar.ref").first).to_be_attached()
    expect(page.get_by_test_id("performance-table")).to_contain_text("600")
    shot("monitoring-drift")

    page.get_by_test_id("rule-kind").select_option("error_rate")
    page.get_by_test_id("rule-value").fill("0.1")
    page.get_by_test_id("rule-add").click()
    expect(page.get_by_test_id("monitoring-notice")).to_be_visible()
    expect(page.get_by_test_id("rule-error_rate")).to_be_visible()

    page.goto(f"/deployments/{deployment}/monitoring?lang=ko")
    expect(page.get_by_test_id("drift-card")).to_contain_text("데이터 드리프트")
    shot("monitoring-korean")
