"""Columns, Preview and EDA pages in a real browser, with the EDA computed by a real worker."""

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

SAMPLE, TARGET, N_ROWS = "yeast", "target", 1479  # bundled multiclass sample


def _experiment(page: Any) -> tuple[str, str]:
    """A profiled sample dataset and an experiment on it, made through the REST API."""
    created = page.request.post(f"/api/v1/datasets/samples/{SAMPLE}")
    assert created.status == 201, created.text()
    dataset_id = created.json()["id"]
    deadline = time.monotonic() + 60
    while page.request.get(f"/api/v1/datasets/{dataset_id}").json()["n_rows"] is None:
        assert time.monotonic() < deadline, "the profile job did not finish"
        time.sleep(0.3)
    experiment = page.request.post(
        "/api/v1/experiments",
        data={"dataset_id": dataset_id, "target": TARGET, "name": "yeast e2e"},
        timeout=60_000,  # the first experiment imports the engine: slow on a busy machine
    )
    assert experiment.status == 201, experiment.text()
    return experiment.json()["id"], dataset_id


def test_columns_preview_and_eda(page: Any, shot: Callable[[str], Path]) -> None:
    experiment_id, dataset_id = _experiment(page)

    # ----- Columns: sparklines, Recommend, edit + Save, Download -------------------------
    page.goto(f"/experiments/{experiment_id}/columns")
    expect(page.get_by_test_id("columns-table")).to_be_visible()
    expect(page.locator('[data-testid^="column-row-"]')).to_have_count(9)
    expect(page.get_by_test_id("spark-mcg").locator("rect")).not_to_have_count(0)
    page.get_by_test_id("columns-recommend").click()
    expect(page.get_by_test_id("proposal")).to_be_visible()  # a proposal, not saved yet
    page.get_by_test_id("proposal-apply").click()
    expect(page.get_by_test_id("message-success")).to_be_visible()
    expect(page.get_by_test_id("use-target")).not_to_be_checked()  # the target is not a feature

    page.get_by_test_id("transformation-mcg").select_option("sqrt")
    page.get_by_test_id("outliers-gvh").select_option("iqr")
    page.get_by_test_id("use-pox").uncheck()
    page.get_by_test_id("kind-erl").select_option("categorical")  # narrows the other selects
    expect(page.get_by_test_id("transformation-erl").locator('option[value="log"]')).to_be_hidden()
    shot("columns")
    page.get_by_test_id("columns-save").click()
    expect(page.get_by_test_id("message-success")).to_be_visible()
    expect(page.get_by_test_id("transformation-mcg")).to_have_value("sqrt")
    settings = page.request.get(f"/api/v1/datasets/{dataset_id}/column-settings").json()
    assert settings["mcg"]["transformation"] == "sqrt"
    assert settings["gvh"]["outliers"] == "iqr"
    assert settings["pox"]["use"] is False
    assert settings["erl"]["kind"] == "categorical"
    href = page.get_by_test_id("columns-download").get_attribute("href")
    download = page.request.get(href)
    assert download.status == 200
    assert download.body().startswith(b"mcg,gvh,alm")

    # ----- Preview ----------------------------------------------------------------------
    page.get_by_test_id("tab-preview").click()
    expect(page.get_by_test_id("preview-head-row")).to_have_count(5)
    expect(page.get_by_test_id("preview-tail-row")).to_have_count(5)
    expect(page.get_by_test_id("preview-rows")).to_contain_text("1,479")
    shot("preview")

    # ----- EDA: computed by the server's worker, drawn with Plotly.js --------------------
    page.get_by_test_id("tab-eda").click()
    expect(page.get_by_test_id("eda-empty")).to_be_visible()
    page.get_by_test_id("eda-compute").click()
    expect(page.get_by_test_id("eda-plots")).to_be_visible(timeout=90_000)  # page reloads
    for plot in ("correlation", "pairplot", "parallel_coordinates", "parallel_categories"):
        chart = page.get_by_test_id(f"plot-{plot}")
        expect(chart).to_have_attribute("data-rendered", "true", timeout=30_000)
    expect(page.get_by_test_id("plot-parallel_coordinates").locator(".parcoords")).to_have_count(1)
    expect(page.get_by_test_id("variable-plot")).to_have_count(9)
    shot("eda")

    page.get_by_test_id("variable-column").select_option("mcg")
    page.get_by_test_id("variable-against").check()
    single = page.get_by_test_id("variable-plot")
    expect(single).to_have_count(1)
    expect(single).to_have_attribute("data-rendered", "true")
    expect(single.locator(".boxlayer")).to_have_count(1)  # boxes per class
    shot("eda-variable")

    page.goto(f"/experiments/{experiment_id}/eda?lang=ko")
    expect(page.get_by_text("평행 좌표")).to_be_visible()
    expect(page.get_by_test_id("plot-correlation")).to_have_attribute("data-rendered", "true")
    shot("eda-ko")
    page.goto(f"/experiments/{experiment_id}/columns")
    expect(page.get_by_test_id("columns-recommend")).to_have_text(re.compile("추천"))
    shot("columns-ko")
    page.goto(f"/experiments/{experiment_id}/columns?lang=en")
