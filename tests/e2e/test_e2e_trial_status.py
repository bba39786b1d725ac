"""Issue 16 item 7 in a real browser: a trial cut at the end of the search's time budget is
labelled "Stopped at budget end", not "Timed out" (the label a trial over its own time limit
keeps). English and Korean.

A real run cannot be made to end with a cut trial deterministically (that depends on the
machine's speed), so the test runs a real experiment and then records, in the real server's
database, the two trial outcomes the search writes in those cases (tests/unit/search covers
how the search decides between them).
"""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from e2e_api import ok, run_to_end, signed_in_request, wait_for
from playwright.sync_api import expect

from tunelab.entities.trials import TrialRecord, TrialStatus
from tunelab.server.config import ServerSettings
from tunelab.tracking import MetadataStore

pytestmark = pytest.mark.e2e

DATASET = "blood-transfusion.parquet"  # 748 rows, binary target `whether2007`
STOPPED_REASON = "stopped at the end of the time budget, after 12.3 s"
TIMED_OUT_REASON = "over the trial timeout of 5 s"


@pytest.fixture(scope="module")
def cut_run(
    browser: Any, server: str, server_home: Path, test_data: Path, signed_in: dict[str, Any]
) -> dict[str, Any]:
    """A real finished run, plus one trial stopped at the budget's end and one timed out."""
    with signed_in_request(browser, server, signed_in) as request:
        data = (test_data / DATASET).read_bytes()
        file = {"name": DATASET, "mimeType": "application/octet-stream", "buffer": data}
        dataset = ok(request.post("/api/v1/datasets", multipart={"file": file}))
        wait_for(request, f"/api/v1/datasets/{dataset['id']}", lambda d: d["n_rows"], 90)
        settings = {"max_trials": 2, "algorithms": ["logistic_regression"]}
        body = {"dataset_id": dataset["id"], "target": "whether2007", "settings": settings}
        body["name"] = "cut at the budget's end"
        experiment = ok(request.post("/api/v1/experiments", data=body, timeout=180_000))
        run_to_end(request, experiment["id"])
        board = ok(request.get(f"/api/v1/experiments/{experiment['id']}/leaderboard"))
    numbers = [int(trial["number"]) for trial in board["items"]]
    stopped, timed_out = max(numbers) + 1, max(numbers) + 2
    family, status = "random_forest", TrialStatus
    outcomes = [
        TrialRecord(stopped, family, {}, status.STOPPED, fit_time=12.3, reason=STOPPED_REASON),
        TrialRecord(timed_out, family, {}, status.TIMED_OUT, fit_time=5, reason=TIMED_OUT_REASON),
    ]
    with MetadataStore(ServerSettings(home=server_home).database_url) as store:
        for record in outcomes:
            store.record_trial(experiment["id"], record)
    return {"id": experiment["id"], "stopped": stopped, "timed_out": timed_out}


@pytest.mark.parametrize(
    ("lang", "stopped_label", "timed_out_label", "said"),
    [
        ("en", "Stopped at budget end", "Over its time limit", "time budget ran out, after 12.3"),
        ("ko", "예산 종료로 중단", "시간 초과", "시간 예산이 끝나 학습 12.3"),
    ],
)
def test_a_trial_cut_at_the_budget_end_says_so(
    page: Any,
    cut_run: dict[str, Any],
    shot: Callable[[str], Path],
    lang: str,
    stopped_label: str,
    timed_out_label: str,
    said: str,
) -> None:
    page.goto(f"/experiments/{cut_run['id']}/run?lang={lang}")
    stopped = page.locator(f'[data-testid="leaderboard-row"][data-trial="{cut_run["stopped"]}"]')
    expect(stopped).to_have_attribute("data-status", "stopped")
    status = stopped.locator(".trial-status")
    expect(status).to_have_text(stopped_label)
    expect(status).to_have_attribute("title", STOPPED_REASON)
    timed_out = page.locator(
        f'[data-testid="leaderboard-row"][data-trial="{cut_run["timed_out"]}"]'
    )
    expect(timed_out.locator(".trial-status")).to_have_text(timed_out_label)
    # the details say what happened in the page's language (the tooltip keeps the search's words)
    stopped.get_by_test_id("details-toggle").click()
    details = page.locator(f'[data-testid="trial-details"][data-details="{cut_run["stopped"]}"]')
    expect(details).to_be_visible()
    expect(details.get_by_test_id("trial-stopped-reason")).to_contain_text(said)
    shot(f"stopped-at-budget-end-{lang}")
