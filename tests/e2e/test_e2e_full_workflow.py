"""The whole path of issue 4 in one browser session against one real ``tunelab serve``:
upload a file, set the target on Setup, run a short AutoML, watch the leaderboard fill live
(no reload), open the best model, deploy it, predict through the form with its defaults, see
the explanation chart and the history row, then switch to Korean."""

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

DATASET = "blood-transfusion.parquet"  # 748 rows, 4 numeric features, binary target
TARGET = "whether2007"
TIME_BUDGET = "12"  # seconds of AutoML search
ROWS = '[data-testid="leaderboard-row"]'


def _row_count(page: Any) -> int:
    return int(page.evaluate(f"document.querySelectorAll('{ROWS}').length"))


def _same_document(page: Any) -> bool:
    return bool(page.evaluate("window.__marker === 1"))


def test_upload_to_prediction_in_english_and_korean(
    page: Any, shot: Callable[[str], Path], test_data: Path
) -> None:
    # ----- Experiments list ---------------------------------------------------------------
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/experiments$"))
    expect(page.get_by_test_id("experiments-table")).to_be_visible()
    shot("01-experiments")

    # ----- New experiment by uploading a Parquet file; the target is left for Setup --------
    page.get_by_test_id("new-experiment").click()
    expect(page).to_have_url(re.compile(r"/experiments/new$"))
    page.get_by_test_id("upload-input").set_input_files(str(test_data / DATASET))
    expect(page.get_by_test_id("create-form")).to_be_visible(timeout=60_000)
    expect(page.get_by_test_id("dataset-summary")).to_contain_text("748 rows")
    page.get_by_test_id("experiment-name").fill("full workflow e2e")
    expect(page.get_by_test_id("target-select")).to_have_value("")
    shot("02-new-uploaded")
    page.get_by_test_id("create-experiment").click()
    page.wait_for_url(re.compile(r"/experiments/[0-9a-f]+/setup$"))
    experiment_id = page.url.rstrip("/").split("/")[-2]

    # ----- Setup: target + a short time budget, then Start ---------------------------------
    expect(page.get_by_test_id("field-target")).to_have_value("")
    page.get_by_test_id("field-target").select_option(TARGET)
    expect(page.locator("#class-chart .barlayer .point")).to_have_count(2)  # the two classes
    page.get_by_test_id("advanced").locator("summary").click()
    page.get_by_test_id("field-time_budget").fill(TIME_BUDGET)
    shot("03-setup")
    page.get_by_test_id("start").click()
    page.wait_for_url(re.compile(rf"/experiments/{experiment_id}/run$"))

    # ----- Run: the leaderboard grows while the page stays the same document ---------------
    page.evaluate("window.__marker = 1")
    expect(page.get_by_test_id("experiment-status")).to_have_text("Running", timeout=30_000)
    expect(page.locator(ROWS).first).to_be_visible(timeout=60_000)
    first_count = _row_count(page)
    shot("04-run-live")
    page.wait_for_function(
        f"document.querySelectorAll('{ROWS}').length > {first_count}", timeout=60_000
    )
    assert _row_count(page) > first_count
    assert _same_document(page), "the Run page reloaded while the leaderboard filled"

    expect(page.get_by_test_id("final-model")).to_be_visible(timeout=120_000)
    expect(page.get_by_test_id("experiment-status")).to_have_text("Finished")
    expect(page.locator("#score-chart[data-drawn] .main-svg").first).to_be_visible()
    assert _same_document(page), "the Run page reloaded before the run finished"
    final_count = _row_count(page)
    assert final_count >= first_count + 1
    shot("05-run-finished")

    # ----- Best model ----------------------------------------------------------------------
    page.get_by_test_id("final-model").click()
    page.wait_for_url(re.compile(r"/models/[0-9a-f]+$"))
    model_id = page.url.rstrip("/").split("/")[-1]
    expect(page.get_by_test_id("pipeline-diagram")).to_be_visible(timeout=30_000)
    expect(page.get_by_test_id("metrics-table")).to_be_visible()
    shot("06-model")

    # ----- Deploy, then predict with the prefilled defaults --------------------------------
    page.get_by_test_id("model-deploy").click()
    page.wait_for_url(re.compile(r"/deployments/[0-9a-f]+$"))
    deployment_id = page.url.rstrip("/").split("/")[-1]
    deployed = page.request.get(f"/api/v1/deployments/{deployment_id}").json()
    assert deployed["model_id"] == model_id
    expect(page.get_by_test_id("history-empty")).to_be_visible()
    fields = page.get_by_test_id("predict-form").locator("input[name], select[name]")
    assert fields.count() >= 1
    for field in fields.all():  # every field defaults to the column's most frequent value
        expect(field).not_to_have_value("")
    expect(page.get_by_test_id("predict-form").locator(f'[name="{TARGET}"]')).to_have_count(0)
    shot("07-deployment")

    page.get_by_test_id("predict-submit").click()
    expect(page.get_by_test_id("prediction-value")).to_have_text(re.compile(r"^\S+$"))
    chart = page.get_by_test_id("explanation-chart")
    expect(chart).to_have_attribute("data-drawn", "true")
    expect(chart.locator(".main-svg").first).to_be_visible()
    expect(chart.locator(".barlayer .point")).not_to_have_count(0)
    expect(page.get_by_test_id("history-row")).to_have_count(1, timeout=20_000)
    shot("08-deployment-predicted")

    # ----- Korean: the deployment page, then the experiments list ----------------------------
    page.get_by_test_id("lang-ko").click()
    expect(page.get_by_test_id("predict-submit")).to_have_text("예측")
    expect(page.get_by_test_id("history-card").locator("h2")).to_have_text("예측 이력")
    expect(page.get_by_test_id("history-row")).to_have_count(1)
    shot("09-deployment-ko")

    page.get_by_test_id("nav-experiments").click()
    expect(page).to_have_url(re.compile(r"/experiments$"))
    expect(page.locator("h1")).to_have_text("실험")
    row = page.locator(f'[data-testid="experiment-row"][data-id="{experiment_id}"]')
    expect(row).to_have_attribute("data-status", "finished")
    expect(row.get_by_test_id("status")).to_have_text("완료")
    expect(page.get_by_test_id("new-experiment")).to_contain_text("새 실험")
    shot("10-experiments-ko")
