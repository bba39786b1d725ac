"""The Experiments list and the New experiment page (server-rendered HTML)."""

import re

from fastapi.testclient import TestClient
from server_helpers import upload

from tunelab.entities.platform import ExperimentStatus, JobStatus
from tunelab.entities.trials import TrialRecord, TrialStatus
from tunelab.jobs import Worker
from tunelab.tracking import MetadataStore


def _experiment(client: TestClient, worker: Worker, name: str = "churn") -> str:
    dataset_id = upload(client)
    worker.run_once()  # parse + profile
    response = client.post(
        "/api/v1/experiments", json={"dataset_id": dataset_id, "target": "label", "name": name}
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _rows(html: str) -> list[str]:
    return re.findall(r'data-testid="experiment-row" data-id="([0-9a-f]+)"', html)


def test_empty_list_invites_to_create_one(client: TestClient) -> None:
    html = client.get("/experiments").text
    assert 'data-testid="experiments-empty"' in html
    assert 'href="/experiments/new"' in html


def test_row_shows_status_dataset_target_metric_and_best_score(
    client: TestClient, worker: Worker, store: MetadataStore
) -> None:
    experiment_id = _experiment(client, worker)
    store.update_experiment(experiment_id, metric="roc_auc", task="binary")
    for number, score in enumerate([0.71234, 0.83456, None]):
        status = TrialStatus.OK if score is not None else TrialStatus.FAILED
        store.record_trial(experiment_id, TrialRecord(number, "lightgbm", {}, status, score=score))

    html = client.get("/experiments").text
    row = html[html.index(f'data-id="{experiment_id}"') :]
    row = row[: row.index("</tr>")]
    assert 'class="status status-ready"' in row
    assert 'title="Set up and ready to start"' in row
    assert "train.csv" in row
    assert "<code>label</code>" in row
    assert "roc_auc" in row
    assert 'data-testid="best-score">0.8346<' in row  # best of the trials, 4 digits
    assert f'href="/experiments/{experiment_id}/setup"' in row
    assert 'data-testid="start"' in row
    assert 'data-testid="stop"' not in row


def test_lower_is_better_metric_picks_the_smallest_score(
    client: TestClient, worker: Worker, store: MetadataStore
) -> None:
    experiment_id = _experiment(client, worker)
    store.update_experiment(experiment_id, metric="log_loss", task="binary")
    for number, score in enumerate([0.52, 0.31, 0.44]):
        store.record_trial(
            experiment_id, TrialRecord(number, "lightgbm", {}, TrialStatus.OK, score=score)
        )
    assert 'data-testid="best-score">0.31<' in client.get("/experiments/live").text


def test_free_worker_slots_count_busy_leases(client: TestClient, store: MetadataStore) -> None:
    client.app.state.settings.workers = 3  # type: ignore[attr-defined]
    assert 'data-testid="slots-free">3<' in client.get("/experiments/live").text
    store.enqueue_job("automl", {})
    assert store.claim_next_job("worker-a", lease_seconds=60) is not None
    assert 'data-testid="slots-free">2<' in client.get("/experiments/live").text


def test_start_then_stop_through_the_page(
    client: TestClient, worker: Worker, store: MetadataStore
) -> None:
    experiment_id = _experiment(client, worker)
    html = client.post(f"/experiments/{experiment_id}/actions/start").text
    assert 'id="experiments-live"' in html
    assert 'hx-swap-oob="true"' in html
    assert "Experiment started" in html
    running = store.get_experiment(experiment_id)
    assert running.status is ExperimentStatus.RUNNING
    assert store.get_job(str(running.job_id)).status is JobStatus.QUEUED
    assert 'data-status="running"' in html
    assert 'data-testid="stop"' in html

    html = client.post(f"/experiments/{experiment_id}/actions/stop").text
    assert store.get_experiment(experiment_id).status is ExperimentStatus.STOPPED
    assert 'data-status="stopped"' in html
    assert "alert-success" in html


def test_a_refused_action_is_shown_in_the_page(client: TestClient, worker: Worker) -> None:
    experiment_id = _experiment(client, worker)
    response = client.post(f"/experiments/{experiment_id}/actions/stop")
    assert response.status_code == 200  # HTMX swaps it; the message says why
    assert "alert-error" in response.text
    assert "Could not stop" in response.text
    missing = client.post("/experiments/0000/actions/start").text
    assert "Could not start" in missing
    assert "0000" in missing
    assert "Unknown action" in client.post(f"/experiments/{experiment_id}/actions/fly").text


def test_copy_and_delete(client: TestClient, worker: Worker, store: MetadataStore) -> None:
    experiment_id = _experiment(client, worker, name="base")
    html = client.post(f"/experiments/{experiment_id}/actions/copy").text
    rows = _rows(html)
    assert len(rows) == 2
    assert "base (copy)" in html
    copy_id = next(r for r in rows if r != experiment_id)
    assert store.get_experiment(copy_id).target == "label"

    html = client.post(f"/experiments/{experiment_id}/actions/delete").text
    assert _rows(html) == [copy_id]
    assert "Experiment deleted" in html


def test_list_in_korean_and_language_cookie(client: TestClient, worker: Worker) -> None:
    _experiment(client, worker)
    response = client.get("/experiments?lang=ko")
    assert response.cookies.get("tunelab_lang") == "ko"
    assert '<html lang="ko">' in response.text
    assert "남은 워커 슬롯" in response.text
    assert ">준비<" in response.text
    assert "Free worker slots" not in response.text
    assert '<html lang="ko">' in client.get("/experiments").text  # the cookie is kept
    assert ">Ready<" in client.get("/experiments?lang=en").text


def test_new_page_offers_every_source(client: TestClient, worker: Worker) -> None:
    upload(client, name="recent.csv")
    html = client.get("/experiments/new").text
    for testid in ("dropzone", "upload-input", "source-s3", "source-recent", "source-samples"):
        assert f'data-testid="{testid}"' in html
    assert "recent.csv" in html
    assert 'data-testid="recent-use"' in html
    config = re.search(r'id="new-experiment-config">(.*?)</script>', html, re.S)
    assert config is not None
    assert '".csv"' in config.group(1)
    assert "/experiments/new/dataset/" in config.group(1)
    paths = client.get("/openapi.json").json()["paths"]
    has_samples = "/api/v1/datasets/samples" in paths
    assert (f'"samples": {str(has_samples).lower()}') in config.group(1)
    assert ('data-testid="samples-list"' in html) is has_samples
    assert ('data-testid="samples-unavailable"' in html) is not has_samples


def test_dataset_panel_polls_until_profiled_then_offers_columns(
    client: TestClient, worker: Worker
) -> None:
    dataset_id = upload(client)
    html = client.get(f"/experiments/new/dataset/{dataset_id}").text
    assert 'data-testid="dataset-profiling"' in html
    assert 'hx-trigger="every 1s"' in html

    worker.run_once()
    html = client.get(f"/experiments/new/dataset/{dataset_id}").text
    assert 'data-testid="create-form"' in html
    options = re.findall(r'<option value="([^"]*)"', html)
    assert options == ["", "x", "color", "label"]
    assert 'value="train"' in html  # default name from the file name
    hinted = client.get(f"/experiments/new/dataset/{dataset_id}?target=label").text
    assert '<option value="label" selected>' in hinted


def test_failed_parse_job_is_shown(client: TestClient, worker: Worker) -> None:
    upload_response = client.post(
        "/api/v1/datasets", files={"file": ("broken.parquet", b"PAR1 then no parquet")}
    )  # the right signature passes the upload check; the parse job fails
    dataset_id = upload_response.json()["id"]
    worker.run_once()
    html = client.get(f"/experiments/new/dataset/{dataset_id}").text
    assert 'data-testid="dataset-error"' in html
    assert "broken.parquet" in html
    assert "/tmp" not in html
    assert "Error:" not in html  # no exception class name
    missing = client.get("/experiments/new/dataset/nope").text
    assert 'data-testid="dataset-error"' in missing
    assert "nope" in missing


def test_create_redirects_to_setup(
    client: TestClient, worker: Worker, store: MetadataStore
) -> None:
    dataset_id = upload(client)
    worker.run_once()
    response = client.post(
        "/experiments/new", data={"dataset_id": dataset_id, "name": "my run", "target": "label"}
    )
    redirect = response.headers["HX-Redirect"]
    experiment_id = redirect.split("/")[2]
    assert redirect == f"/experiments/{experiment_id}/setup"
    experiment = store.get_experiment(experiment_id)
    assert (experiment.name, experiment.target) == ("my run", "label")


def test_bad_target_is_shown_next_to_the_field_with_input_kept(
    client: TestClient, worker: Worker, store: MetadataStore
) -> None:
    dataset_id = upload(client)
    worker.run_once()
    response = client.post(
        "/experiments/new", data={"dataset_id": dataset_id, "name": "keep me", "target": "nope"}
    )
    assert "HX-Redirect" not in response.headers
    assert 'data-testid="target-error"' in response.text
    assert "nope" in response.text
    assert 'value="keep me"' in response.text
    assert store.list_experiments() == []
