"""Deployments in a real browser: deploy a trained model, compare, predict through the form,
see the explanation chart and the history, a field error, Korean, delete."""

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
    rng = np.random.default_rng(11)
    frame = pd.DataFrame(
        {"tenure": rng.integers(1, 60, n), "plan": rng.choice(["basic", "pro", "max"], n)}
    )
    frame["churn"] = np.where(frame["tenure"] + rng.normal(scale=8, size=n) < 25, "yes", "no")
    return frame.to_csv(index=False).encode()


def _train_model(request: Any) -> str:
    """A short real AutoML run through the REST API; the best model's id."""
    settings = {"max_trials": 2, "algorithms": ["lightgbm"]}
    return train_model(
        request, _csv(), target="churn", name="deployments e2e", time_budget=10, settings=settings
    )


def test_deploy_compare_predict_explain_history(
    page: Any, shot: Callable[[str], Path], console: Any
) -> None:
    model_id = _train_model(page.request)
    first = ok(page.request.post("/api/v1/deployments", data={"model_id": model_id}))["id"]
    second = ok(page.request.post("/api/v1/deployments", data={"model_id": model_id}))["id"]

    page.goto("/deployments")
    expect(page.get_by_test_id(f"deployment-row-{first}")).to_be_visible()
    page.get_by_test_id(f"deployment-select-{first}").check()
    page.get_by_test_id(f"deployment-select-{second}").check()
    page.get_by_test_id("compare-button").click()
    expect(page.get_by_test_id("comparison")).to_be_visible()
    shot("deployments-compare")

    page.get_by_test_id(f"deployment-link-{first}").click()
    page.wait_for_url(re.compile(rf"/deployments/{first}$"))
    expect(page.get_by_test_id("usage-curl")).to_contain_text("curl -s -X POST")
    expect(page.get_by_test_id("field-plan")).to_be_visible()
    expect(page.get_by_test_id("history-empty")).to_be_visible()

    page.get_by_test_id("field-tenure").fill("3")
    page.get_by_test_id("field-plan").select_option(label="pro")
    page.get_by_test_id("predict-submit").click()
    # the first prediction loads the model and its explainer: allow for a busy machine
    expect(page.get_by_test_id("prediction-value")).to_have_text(
        re.compile(r"^(yes|no)$"), timeout=60_000
    )
    chart = page.get_by_test_id("explanation-chart")
    expect(chart).to_have_attribute("data-drawn", "true")
    expect(chart.locator(".main-svg").first).to_be_visible()
    expect(chart).to_contain_text("tenure")
    expect(page.get_by_test_id("history-row")).to_have_count(1, timeout=20_000)
    expect(page.get_by_test_id("history")).to_contain_text("tenure")
    shot("deployment-predicted")

    # the same record explained by LIME: the chart says which method drew it
    page.get_by_test_id("explain-method").select_option("lime")
    page.get_by_test_id("predict-submit").click()
    expect(chart).to_contain_text("LIME", timeout=60_000)
    expect(page.get_by_test_id("explanation-note")).to_contain_text("0.")
    shot("deployment-lime")

    # a prediction the model refuses: the error shows next to the field, the input is kept
    console.allow(r"status of 422")
    page.get_by_test_id("field-tenure").fill("")
    page.evaluate(
        "() => { const el = document.querySelector('[data-testid=field-tenure]');"
        " el.type = 'text'; el.value = 'many'; }"
    )
    page.get_by_test_id("predict-submit").click()
    expect(page.get_by_test_id("error-tenure")).to_contain_text("Enter a number")
    expect(page.get_by_test_id("field-tenure")).to_have_value("many")
    expect(page.get_by_test_id("history-row")).to_have_count(2)  # SHAP and LIME, not this
    shot("deployment-field-error")

    page.get_by_test_id("lang-ko").click()
    expect(page.get_by_test_id("predict-submit")).to_have_text("예측")
    expect(page.get_by_test_id("history-row")).to_have_count(2)
    shot("deployment-korean")
    page.get_by_test_id("lang-en").click()

    page.goto("/deployments")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id(f"deployment-delete-{second}").click()
    page.wait_for_url(re.compile(r"/deployments$"))
    expect(page.get_by_test_id(f"deployment-row-{second}")).to_have_count(0)
    expect(page.get_by_test_id(f"deployment-row-{first}")).to_be_visible()
    shot("deployments-after-delete")
