"""Setup and live Run pages in a real browser: target, advanced settings, class balancer,
a ~10 s AutoML run on a real worker, the leaderboard filling live, downloads, Korean."""

import re
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from e2e_api import experiment_without_target
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

DATASET = "blood-transfusion.parquet"  # 748 rows, binary target `whether2007`
TARGET = "whether2007"


def _experiment_without_target(page: Any, server: str, test_data: Path) -> str:
    data = (test_data / DATASET).read_bytes()
    file = {"name": DATASET, "mimeType": "application/octet-stream", "buffer": data}
    return experiment_without_target(page.request, server, file, "run e2e")


def _click_bar(page: Any, index: int) -> None:
    """Click a Plotly bar the way a user does (Plotly picks it from the pointer position)."""
    bar = page.locator("#class-chart .barlayer .point").nth(index)
    bar.scroll_into_view_if_needed()
    box = bar.bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] - 4
    page.mouse.move(x, y - 20, steps=3)
    page.mouse.move(x, y, steps=3)
    page.wait_for_timeout(150)  # Plotly resolves the hovered bar before it reports the click
    page.mouse.click(x, y)


def test_setup_then_watch_a_live_run(
    page: Any, server: str, test_data: Path, shot: Callable[[str], Path]
) -> None:
    experiment_id = _experiment_without_target(page, server, test_data)
    page.goto(f"/experiments/{experiment_id}/setup")
    expect(page.get_by_test_id("class-chart")).to_contain_text("Choose a target")

    # general settings: the target, then the metric list follows the inferred task
    page.get_by_test_id("field-target").select_option(TARGET)
    bars = page.locator("#class-chart .barlayer .point")
    expect(bars).to_have_count(2)
    expect(page.locator('#f-metric option[value="rmse"]')).to_be_disabled()
    page.get_by_test_id("field-metric").select_option("roc_auc")

    # class balancer: clicking the smaller class balances every class to its count
    counts = {
        el.get_attribute("data-class"): int(el.text_content().split(":")[1])
        for el in page.get_by_test_id("balance-class").all()
    }
    smaller = min(counts, key=lambda label: counts[label])
    index = list(counts).index(smaller)
    _click_bar(page, index)
    expect(page.get_by_test_id("field-balance_to")).to_have_value(smaller)
    expect(bars).to_have_count(2)  # the chart is redrawn with the target line, not lost
    expect(page.locator("#class-chart .scatterlayer .trace")).to_have_count(1)
    for item in page.get_by_test_id("balance-class").all():
        expect(item).to_have_attribute("data-after", str(counts[smaller]))

    # data split: holdout ratios redraw the summary picture
    page.get_by_test_id("field-split_kind").select_option("holdout")
    page.get_by_test_id("field-train_pct").fill("70")
    expect(page.get_by_test_id("split-picture")).to_have_class(re.compile(r"\bbad\b"))
    page.get_by_test_id("field-train_pct").fill("60")
    expect(page.get_by_test_id("split-picture")).not_to_have_class(re.compile(r"\bbad\b"))
    expect(page.get_by_test_id("split-seg-test")).to_have_attribute("data-rows", "150")

    # advanced settings
    page.get_by_test_id("advanced").locator("summary").click()
    page.get_by_test_id("field-description").fill("e2e: a short run")
    for name in ("logistic_regression", "random_forest", "lightgbm"):
        page.get_by_test_id(f"algorithms-{name}").check()
    page.get_by_test_id("field-ensemble").select_option("greedy")
    page.get_by_test_id("field-scaling").select_option("standard")
    page.get_by_test_id("field-time_budget").fill("10")
    page.get_by_test_id("field-trial_timeout").fill("8")
    page.get_by_test_id("field-n_jobs").fill("2")
    page.get_by_test_id("field-log_level").select_option("debug")
    shot("setup")

    # an invalid value comes back next to its field, the rest kept
    page.get_by_test_id("field-n_jobs").fill("0")
    page.get_by_test_id("save").click()
    expect(page.get_by_test_id("error-n_jobs")).to_be_visible()
    expect(page.get_by_test_id("field-description")).to_have_value("e2e: a short run")
    expect(page.get_by_test_id("field-target")).to_have_value(TARGET)
    shot("setup-error")
    page.get_by_test_id("field-n_jobs").fill("2")

    page.evaluate("window.__sameDocument = true")
    page.get_by_test_id("start").click()
    expect(page).to_have_url(re.compile(rf"/experiments/{experiment_id}/run$"))
    page.evaluate("window.__sameDocument = true")

    # live: a worker card shows a trial, leaderboard rows and chart points appear, no reload
    # a worker first imports the model libraries: allow for a slow, shared machine
    expect(page.locator('[data-testid="worker-card"].busy').first).to_be_visible(timeout=120_000)
    expect(page.locator('[data-testid="worker-card"]')).to_have_count(2)
    expect(page.get_by_test_id("worker-elapsed").first).to_contain_text("/ 8s")
    # where each slot's trial runs (local processes: this machine) and trials by host
    host = socket.gethostname()
    expect(page.get_by_test_id("worker-host").first).to_contain_text(host)
    expect(page.get_by_test_id("threads-note")).to_contain_text("local processes")
    shot("run-live")
    expect(page.get_by_test_id("worker-host-count").first).to_contain_text(f"{host}: ")
    expect(page.get_by_test_id("leaderboard-row").first).to_be_visible(timeout=60_000)
    expect(page.locator("#score-chart[data-drawn]")).to_be_visible()
    expect(page.get_by_test_id("final-model")).to_be_visible(timeout=120_000)
    assert page.evaluate("window.__sameDocument === true")  # all of it without reloading
    expect(page.get_by_test_id("experiment-status")).to_have_text("Finished")
    assert page.get_by_test_id("leaderboard-row").count() >= 2
    expect(page.get_by_test_id("final-model")).to_have_attribute(
        "href", re.compile(r"^/models/[0-9a-f]+$")
    )
    expect(page.get_by_test_id("trial-model").first).to_be_visible()  # each row: its own model

    # trial details, split parts with downloads
    page.get_by_test_id("details-toggle").first.click()
    expect(page.get_by_test_id("trial-details").first).to_be_visible()
    expect(page.get_by_test_id("trial-pipeline").first).to_contain_text("→")
    expect(page.get_by_test_id("split-part-test")).to_contain_text("150")
    href = page.get_by_test_id("download-test").get_attribute("href")
    csv = page.request.get(f"{server}{href}")
    assert csv.ok
    assert csv.text().splitlines()[0].startswith("_row,")
    assert len(csv.text().splitlines()) == 151
    shot("run-finished")

    page.goto(f"/experiments/{experiment_id}/run?lang=ko")
    expect(page.get_by_text("리더보드")).to_be_visible()
    expect(page.get_by_test_id("leaderboard-row").first).to_be_visible()
    shot("run-ko")
    page.goto(f"/experiments/{experiment_id}/setup?lang=ko")
    expect(page.get_by_text("데이터 분할")).to_be_visible()
    expect(page.get_by_test_id("field-description")).to_have_value("e2e: a short run")
    shot("setup-ko")
