"""The Run page: leaderboard, trial details, worker cards, split parts, live partials, SSE."""

import json
import re
import socket

from fastapi.testclient import TestClient
from server_helpers import upload

from tunelab.artifacts import ArtifactStore
from tunelab.entities import TrialRecord, TrialStatus
from tunelab.entities.platform import ExperimentStatus
from tunelab.jobs import Worker
from tunelab.tracking import MetadataStore


def _experiment(client: TestClient, worker: Worker, **settings: object) -> str:
    dataset_id = upload(client)
    worker.run_once()
    body = {"dataset_id": dataset_id, "target": "label", "settings": settings}
    response = client.post("/api/v1/experiments", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _trials(store: MetadataStore, experiment_id: str) -> None:
    store.update_experiment(experiment_id, task="binary", metric="log_loss")
    rows = [(0, "lightgbm", 0.41), (1, "logistic_regression", 0.35), (2, "random_forest", None)]
    for number, family, score in rows:
        status = TrialStatus.OK if score is not None else TrialStatus.TIMED_OUT
        params = {"learning_rate": 0.05, "num_leaves": 31} if family == "lightgbm" else {}
        store.record_trial(
            experiment_id,
            TrialRecord(number, family, params, status, score=score, fit_time=1.5, reason=""),
        )


def test_page_ranks_trials_and_shows_details(
    client: TestClient, worker: Worker, store: MetadataStore
) -> None:
    experiment_id = _experiment(client, worker, n_jobs=3, trial_timeout=20)
    _trials(store, experiment_id)
    html = client.get(f"/experiments/{experiment_id}/run").text
    order = re.findall(r'data-testid="leaderboard-row" data-trial="(\d+)"', html)
    assert order == ["1", "0", "2"]  # log_loss: lower is better; no score last
    assert html.count('data-testid="worker-card"') == 3
    assert 'data-testid="score-chart"' in html
    assert 'data-timeout="20"' in html
    details = html[html.index('data-details="0"') :]
    details = details[: details.index("</tr>\n  <tr") if "</tr>\n  <tr" in details else None]
    assert "LightGBM" in details
    assert "learning_rate" in details
    assert "0.05" in details
    assert "Preprocessing for trees" in details
    assert "Over its time limit" in html
    assert 'data-testid="split-pending"' in html
    assert 'data-testid="trial-model"' not in html  # no run finished: nothing to build from
    assert 'data-testid="start"' in html
    assert 'data-testid="stop"' not in html


def test_rows_link_to_the_final_model_and_split_parts_download(
    client: TestClient, worker: Worker, store: MetadataStore, artifacts: ArtifactStore
) -> None:
    experiment_id = _experiment(client, worker)
    store.transition_experiment(
        experiment_id, to=ExperimentStatus.RUNNING, allowed_from=[ExperimentStatus.READY]
    )
    _trials(store, experiment_id)
    store.transition_experiment(
        experiment_id,
        to=ExperimentStatus.FINISHED,
        allowed_from=[ExperimentStatus.RUNNING],
        best_model_id="m123",
    )
    summary = {
        "kind": "cv",
        "description": "3-fold CV, test 12 rows",
        "n_rows": 60,
        "n_labelled": 60,
        "n_folds": 3,
        "unused": 0,
        "fold_sizes": [16, 16, 16],
        "parts": {"train": {"rows": 48}, "test": {"rows": 12}},
    }
    prefix = f"experiments/{experiment_id}/runs/1/splits"
    artifacts.put_bytes(f"{prefix}/summary.json", json.dumps(summary).encode())
    board = client.get(f"/experiments/{experiment_id}/run/leaderboard").text
    assert 'href="/models/m123"' not in board  # rows are trials, not the run's final model
    assert board.count('data-testid="trial-model"') == 2  # one per scored trial
    assert "<html" not in board  # a partial
    part = client.get(f"/experiments/{experiment_id}/run/summary").text
    assert 'data-testid="final-model"' in part
    assert 'href="/models/m123"' in part
    assert f'href="/api/v1/experiments/{experiment_id}/splits/train?run=1"' in part
    assert 'data-testid="split-part-valid"' not in part  # CV: no separate valid part
    assert "3 folds" in part
    korean = client.get(f"/experiments/{experiment_id}/run?lang=ko").text
    assert "리더보드" in korean
    assert "점수 추이" in korean


def test_a_real_run_streams_what_the_live_page_needs(
    client: TestClient, worker: Worker, store: MetadataStore
) -> None:
    experiment_id = _experiment(
        client, worker, max_trials=2, time_budget=60, algorithms=["logistic_regression"]
    )
    job_id = client.post(f"/api/v1/experiments/{experiment_id}/start").json()["job_id"]
    running = client.get(f"/experiments/{experiment_id}/run").text
    assert 'data-testid="stop"' in running
    assert f'data-job="{job_id}"' in running
    done = worker.run_once()
    assert done is not None
    assert done.status == "succeeded", done.error
    stream = client.get("/api/v1/events/stream", params={"job_id": job_id}).text
    events = [json.loads(line[5:]) for line in stream.splitlines() if line.startswith("data:")]
    kinds = [e["kind"] for e in events]
    assert kinds.count("trial_start") == 2
    assert kinds.count("trial_end") == 2
    assert {"run_start", "splits", "experiment_finished"} <= set(kinds)
    start = next(e["data"] for e in events if e["kind"] == "trial_start")
    assert start["experiment_id"] == experiment_id
    assert {"number", "family", "params", "timeout", "slot", "started_ts"} <= set(start)
    # per-worker activity: the host a trial runs on, known at its start for local processes
    assert start["host"] == socket.gethostname()
    run_start = next(e["data"] for e in events if e["kind"] == "run_start")
    assert (run_start["executor"], run_start["ray_address"]) == ("local", None)
    end = next(e["data"] for e in events if e["kind"] == "trial_end")
    assert end["score"] is not None
    assert end["fit_time"] >= 0
    assert (end["host"], end["node_id"]) == (socket.gethostname(), "local")
    page = client.get(f"/experiments/{experiment_id}/run").text
    assert len(re.findall(r'data-testid="leaderboard-row"', page)) == 2
    assert 'data-testid="split-part-test"' in page  # a test part is held back by default
    assert 'data-testid="split-part-train"' in page
    assert 'data-testid="final-model"' in page
    assert 'data-testid="worker-host"' in page
    assert 'data-testid="worker-hosts"' in page
    assert 'data-text-host-on="on {host}"' in page
    assert "1 CPU per trial · local processes" in page
    korean = client.get(f"/experiments/{experiment_id}/run?lang=ko").text
    assert 'data-text-host-on="{host}에서 실행 중"' in korean
    assert "호스트별 완료된 시도" in korean


def test_host_column_appears_when_trials_ran_on_several_hosts(
    client: TestClient, worker: Worker, store: MetadataStore
) -> None:
    experiment_id = _experiment(client, worker)
    for number, host in enumerate(["node-a", "node-a"]):
        record = TrialRecord(number, "ridge", {}, TrialStatus.OK, score=0.5, host=host)
        store.record_trial(experiment_id, record)
    board = client.get(f"/experiments/{experiment_id}/run/leaderboard").text
    assert 'data-testid="host-header"' not in board  # one host: nothing to tell apart
    record = TrialRecord(2, "ridge", {}, TrialStatus.OK, score=0.6, host="node-b")
    store.record_trial(experiment_id, record)
    board = client.get(f"/experiments/{experiment_id}/run/leaderboard").text
    assert 'data-testid="host-header"' in board
    hosts = re.findall(r'data-testid="trial-host">([^<]*)<', board)
    assert hosts == ["node-b", "node-a", "node-a"]
    korean = client.get(f"/experiments/{experiment_id}/run/leaderboard?lang=ko").text
    assert "호스트" in korean
