"""Issue 16 items 1, 2, 5 and 7 in a real browser on a real ``tunelab serve``:
"Run again" keeps runs apart (history, per-run leaderboard), any leaderboard row becomes a
model of its own (evaluate, deploy, download), deployments say where they came from, and
the setup page's defaults do not mislead. English and Korean."""

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from e2e_api import ok, wait_for
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

DATASET = "blood-transfusion.parquet"  # 748 rows, binary target `whether2007`
TARGET = "whether2007"
TINY = {"max_trials": 2, "algorithms": ["logistic_regression"]}


def _dataset(request: Any, test_data: Path) -> str:
    data = (test_data / DATASET).read_bytes()
    upload = {"file": {"name": DATASET, "mimeType": "application/octet-stream", "buffer": data}}
    dataset = ok(request.post("/api/v1/datasets", multipart=upload))
    wait_for(request, f"/api/v1/datasets/{dataset['id']}", lambda d: d["n_rows"] is not None, 90)
    return str(dataset["id"])


def _run(request: Any, experiment_id: str) -> dict[str, Any]:
    ok(request.post(f"/api/v1/experiments/{experiment_id}/start"))
    done = wait_for(
        request,
        f"/api/v1/experiments/{experiment_id}",
        lambda e: e["status"] in ("finished", "failed", "stopped"),
        120,
    )
    assert done["status"] == "finished", done
    return dict(done)


@pytest.fixture(scope="module")
def two_runs(
    browser: Any, server: str, test_data: Path, signed_in: dict[str, Any]
) -> dict[str, Any]:
    """One experiment run twice through REST: holdout (3 trials), then 3-fold CV (2)."""
    csrf = next(c["value"] for c in signed_in["cookies"] if c["name"] == "tunelab_csrf")
    context = browser.new_context(
        base_url=server, storage_state=signed_in, extra_http_headers={"X-CSRF-Token": csrf}
    )
    try:
        request = context.request
        dataset_id = _dataset(request, test_data)
        settings = {**TINY, "max_trials": 3, "split": {"kind": "holdout"}}
        body = {"dataset_id": dataset_id, "target": TARGET, "name": "donors", "settings": settings}
        # the server's first settings check imports the engine: slow on a loaded machine
        created = request.post("/api/v1/experiments", data=body, timeout=180_000)
        experiment_id = ok(created)["id"]
        first = _run(request, experiment_id)
        patch = {"settings": {"max_trials": 2, "split": {"kind": "cv", "folds": 3}}}
        ok(request.patch(f"/api/v1/experiments/{experiment_id}", data=patch))
        second = _run(request, experiment_id)
    finally:
        context.close()
    return {"id": experiment_id, "dataset_id": dataset_id, "first": first, "second": second}


def test_run_again_keeps_runs_apart(
    page: Any, two_runs: dict[str, Any], shot: Callable[[str], Path]
) -> None:
    experiment_id = two_runs["id"]
    page.goto(f"/experiments/{experiment_id}/run")
    board = page.get_by_test_id("leaderboard-table")
    expect(board).to_have_attribute("data-run", "2")
    expect(page.get_by_test_id("leaderboard-row")).to_have_count(2)  # run 2's trials only
    history = page.get_by_test_id("run-history-row")
    expect(history).to_have_count(2)
    expect(history.nth(0)).to_have_attribute("data-run", "2")
    expect(history.nth(0).get_by_test_id("run-trials")).to_have_text("2")
    expect(history.nth(1).get_by_test_id("run-trials")).to_have_text("3")
    expect(history.nth(0).get_by_test_id("run-validation")).to_contain_text("Cross-validation")
    expect(history.nth(1).get_by_test_id("run-validation")).to_contain_text("Holdout")
    shot("history-en")

    history.nth(1).get_by_test_id("run-link").click()
    expect(page).to_have_url(re.compile(r"/run\?run=1$"))
    expect(page.get_by_test_id("leaderboard-table")).to_have_attribute("data-run", "1")
    expect(page.get_by_test_id("leaderboard-row")).to_have_count(3)
    expect(page.get_by_test_id("run-number")).to_have_text("Run 1")
    model = two_runs["first"]["best_model_id"]
    expect(page.get_by_test_id("final-model")).to_have_attribute("href", f"/models/{model}")
    expect(page.get_by_test_id("latest-run")).to_be_visible()
    # the experiments list counts the latest run's trials
    page.goto("/experiments")
    row = page.locator("tr", has_text="donors")
    expect(row).to_contain_text("2")
    page.goto(f"/experiments/{experiment_id}/run?lang=ko")
    expect(page.get_by_test_id("run-history")).to_contain_text("실행 기록")
    expect(page.get_by_test_id("run-history-row").nth(1)).to_contain_text("홀드아웃")
    shot("history-ko")


def test_a_leaderboard_row_becomes_a_model_to_evaluate_deploy_and_download(
    page: Any, two_runs: dict[str, Any], shot: Callable[[str], Path]
) -> None:
    experiment_id = two_runs["id"]
    page.goto(f"/experiments/{experiment_id}/run?run=1")
    row = page.get_by_test_id("leaderboard-row").nth(1)  # not the best: any row will do
    number = row.get_attribute("data-trial")
    row.get_by_test_id("trial-model").click()
    expect(page).to_have_url(re.compile(r"/models/[0-9a-f]{32}$"), timeout=90_000)
    origin = page.get_by_test_id("model-trial-origin")
    expect(origin).to_contain_text(f"trial {number} of run 1")
    expect(origin).to_contain_text("refitted")
    expect(page.get_by_test_id("model-name")).to_contain_text(f"trial {number}")
    shot("trial-model-en")

    # evaluation: a holdout run's validation scores are not called out-of-fold
    page.get_by_test_id("evaluate-compute").click()
    table = page.get_by_test_id("metrics-table")
    expect(table).to_be_visible(timeout=90_000)
    expect(table).to_contain_text("holdout validation part")
    expect(table).not_to_contain_text("out-of-fold predictions")
    download = page.get_by_test_id("model-download").get_attribute("href")
    answer = page.request.get(download)
    assert answer.ok
    assert answer.body()[:2] == b"PK"  # a zip
    page.goto(page.url + "?lang=ko")
    expect(page.get_by_test_id("model-trial-origin")).to_contain_text(f"시도 {number}")
    shot("trial-model-ko")
    page.get_by_test_id("model-deploy").click()
    expect(page).to_have_url(re.compile(r"/deployments/[0-9a-f]{32}"), timeout=60_000)


def test_deployments_say_where_they_came_from(
    page: Any, two_runs: dict[str, Any], shot: Callable[[str], Path]
) -> None:
    request = page.request
    ids = []
    for run in ("first", "second"):
        model_id = two_runs[run]["best_model_id"]
        created = ok(request.post("/api/v1/deployments", data={"model_id": model_id}))
        ids.append(created["id"])
    names = [ok(request.get(f"/api/v1/deployments/{i}")) for i in ids]
    assert names[0]["name"] == names[1]["name"]
    assert names[0]["name"].startswith("donors · ")  # named after the experiment
    assert names[1]["version"] == names[0]["version"] + 1  # versions per name
    page.goto("/deployments?" + "&".join(f"compare={i}" for i in ids))
    first_row = page.get_by_test_id(f"deployment-row-{ids[0]}")
    expect(first_row.get_by_test_id("deployment-experiment")).to_contain_text("donors")
    expect(first_row.get_by_test_id("deployment-experiment")).to_contain_text("run 1")
    expect(first_row.get_by_test_id("deployment-dataset")).to_have_text(DATASET)
    comparison = page.get_by_test_id("comparison")
    score = page.get_by_test_id("compare-score")
    expect(score).to_contain_text("holdout")  # run 1: its validation scheme
    expect(score).to_contain_text("fold")  # run 2: 3-fold CV
    expect(score).to_contain_text("roc_auc")  # the metric each score measures
    expect(comparison).not_to_contain_text("trial number")
    expect(comparison).not_to_contain_text("-1")
    expect(comparison).not_to_contain_text("0 s")
    shot("compare-en")
    page.goto(page.url + "&lang=ko")
    expect(page.get_by_test_id("compare-score")).to_contain_text("검증 점수")
    expect(page.get_by_test_id("compare-score")).to_contain_text("홀드아웃")
    expect(page.get_by_test_id("compare-score")).to_contain_text("교차 검증")
    shot("compare-ko")


def test_setup_defaults_show_the_budget_and_hold_back_a_test_part(
    page: Any, two_runs: dict[str, Any], shot: Callable[[str], Path]
) -> None:
    body = {"dataset_id": two_runs["dataset_id"], "target": TARGET, "name": "defaults"}
    experiment_id = ok(page.request.post("/api/v1/experiments", data=body))["id"]
    page.goto(f"/experiments/{experiment_id}/setup")
    expect(page.get_by_test_id("advanced")).not_to_have_attribute("open", "")
    budget = page.get_by_test_id("general-settings").locator("#f-time_budget")
    expect(budget).to_be_visible()  # not hidden under advanced settings
    expect(page.locator("#f-cv_test_pct")).to_have_value("20")
    shot("setup-defaults-en")
    # the user can set 0: no test part
    page.locator("#f-cv_test_pct").fill("0")
    page.get_by_test_id("setup-form").evaluate("form => form.requestSubmit()")
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        settings = ok(page.request.get(f"/api/v1/experiments/{experiment_id}"))["settings"]
        if settings.get("test_ratio") == 0:
            break
        time.sleep(0.3)
    assert settings.get("test_ratio") == 0, settings
    page.goto(f"/experiments/{experiment_id}/setup?lang=ko")
    expect(page.locator("#f-cv_test_pct")).to_have_value("0")
    expect(page.get_by_test_id("general-settings").locator("#f-time_budget")).to_be_visible()
    shot("setup-defaults-ko")
