"""Experiments pages in a real browser: upload, create, start/stop/copy/delete, Korean."""

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

DATASET = "blood-transfusion.parquet"  # 748 rows, binary target `whether2007`
TARGET = "whether2007"


def _row(page: Any, experiment_id: str) -> Any:
    return page.locator(f'[data-testid="experiment-row"][data-id="{experiment_id}"]')


def _wait_for_setup(page: Any, console: Any) -> str:
    """Wait for the redirect to the Setup page; returns the new experiment's id."""
    page.wait_for_url(re.compile(r"/experiments/[0-9a-f]+/setup$"))
    if page.request.get(page.url).status == 404:  # the Setup page belongs to another area
        console.allow(r"status of 404")
    return str(page.url.rstrip("/").split("/")[-2])


def test_upload_create_and_manage_experiments(
    page: Any, shot: Callable[[str], Path], test_data: Path, console: Any
) -> None:
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/experiments$"))
    sample = page.locator('[data-testid="experiment-row"]', has_text="German credit risk")
    expect(sample).to_have_count(1)  # `tunelab serve` starts with a sample experiment
    expect(page.get_by_test_id("slots-free")).to_have_text(re.compile(r"^[012]$"))
    shot("list")

    page.get_by_test_id("new-experiment").click()
    expect(page).to_have_url(re.compile(r"/experiments/new$"))
    page.get_by_test_id("upload-input").set_input_files(str(Path(__file__)))  # a .py file
    expect(page.get_by_test_id("upload-error")).to_contain_text("Unsupported file type")

    page.get_by_test_id("upload-input").set_input_files(str(test_data / DATASET))
    expect(page.get_by_test_id("upload-progress")).to_be_visible()
    form = page.get_by_test_id("create-form")
    expect(form).to_be_visible(timeout=60_000)  # the worker parsed and profiled the file
    expect(page.get_by_test_id("dataset-summary")).to_contain_text("748 rows")
    page.get_by_test_id("experiment-name").fill("blood e2e")
    page.get_by_test_id("target-select").select_option(TARGET)
    shot("new")
    page.get_by_test_id("create-experiment").click()
    experiment_id = _wait_for_setup(page, console)

    page.goto("/experiments")
    row = _row(page, experiment_id)
    expect(row).to_have_attribute("data-status", "ready")
    expect(row).to_contain_text(TARGET)
    expect(row.get_by_test_id("status")).to_have_attribute("title", re.compile("ready"))

    row.get_by_test_id("start").click()
    expect(page.get_by_test_id("message-success")).to_be_visible()
    expect(row).to_have_attribute("data-status", "running")
    row.get_by_test_id("stop").click()
    expect(row).to_have_attribute("data-status", re.compile("stopped|finished"), timeout=60_000)

    row.get_by_test_id("copy").click()
    copy = page.locator('[data-testid="experiment-row"]', has_text="blood e2e (copy)")
    expect(copy).to_have_count(1)
    expect(copy).to_have_attribute("data-status", "ready")
    copy_id = copy.get_attribute("data-id")
    page.once("dialog", lambda dialog: dialog.accept())
    copy.get_by_test_id("delete").click()
    expect(_row(page, str(copy_id))).to_have_count(0)
    expect(page.get_by_test_id("message-success")).to_contain_text("deleted")
    shot("list-after-actions")

    page.get_by_test_id("lang-ko").click()
    expect(page.locator("h1")).to_have_text("실험")
    expect(page.get_by_test_id("new-experiment")).to_contain_text("새 실험")
    expect(_row(page, experiment_id).get_by_test_id("start")).to_have_text("시작")
    shot("list-ko")
    page.get_by_test_id("new-experiment").click()
    expect(page.locator("h1")).to_have_text("새 실험")  # the language is kept by the cookie
    shot("new-ko")


def test_new_experiment_from_a_bundled_sample(
    page: Any, shot: Callable[[str], Path], console: Any
) -> None:
    page.goto("/experiments/new")
    page.locator('[data-testid="sample-use"][data-sample="credit-g"]').click()
    form = page.get_by_test_id("create-form")
    expect(form).to_be_visible(timeout=60_000)
    expect(page.get_by_test_id("target-select")).to_have_value("class")  # the sample's target
    shot("new-from-sample")
    page.get_by_test_id("create-experiment").click()
    _wait_for_setup(page, console)
