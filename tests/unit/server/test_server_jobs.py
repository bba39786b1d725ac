"""Health, OpenAPI, token auth, jobs, events and the SSE stream."""

import json
from pathlib import Path

from fastapi.testclient import TestClient
from server_helpers import upload

from tunelab.jobs import Worker
from tunelab.server import ServerSettings, create_app


def test_health_and_openapi(client: TestClient) -> None:
    health = client.get("/api/v1/health").json()
    assert (health["status"], health["database"]) == ("ok", "sqlite")
    paths = client.get("/openapi.json").json()["paths"]
    for path in [
        "/api/v1/health",
        "/api/v1/datasets",
        "/api/v1/experiments",
        "/api/v1/experiments/{experiment_id}/start",
        "/api/v1/experiments/{experiment_id}/stop",
        "/api/v1/experiments/{experiment_id}/leaderboard",
        "/api/v1/deployments",
        "/api/v1/deployments/{deployment_id}/predict",
        "/api/v1/events/stream",
    ]:
        assert path in paths, path


def test_create_app_opens_nothing_until_started(tmp_path: Path) -> None:
    home = tmp_path / "home"
    create_app(ServerSettings(home=home))
    assert not home.exists()


def test_token_is_required_when_configured(tmp_path: Path) -> None:
    settings = ServerSettings(home=tmp_path, api_token="s3cret")
    with TestClient(create_app(settings), base_url="http://localhost") as client:
        assert client.get("/api/v1/datasets").status_code == 401
        auth = {"Authorization": "Bearer s3cret"}
        assert client.get("/api/v1/datasets", headers=auth).status_code == 200
        assert client.get("/api/v1/health").status_code == 200


def test_jobs_and_events(client: TestClient, worker: Worker) -> None:
    upload(client)
    (job,) = client.get("/api/v1/jobs").json()["items"]
    assert (job["kind"], job["status"]) == ("parse_profile", "queued")
    worker.run_once()
    done = client.get(f"/api/v1/jobs/{job['id']}").json()
    assert done["status"] == "succeeded"
    assert done["result"]["n_rows"] == 60
    events = client.get(f"/api/v1/jobs/{job['id']}/events").json()
    assert next(e["kind"] for e in events) == "queued"
    assert events[-1]["kind"] == "succeeded"
    later = client.get(f"/api/v1/jobs/{job['id']}/events", params={"after_id": events[-2]["id"]})
    assert [e["kind"] for e in later.json()] == ["succeeded"]
    assert client.get("/api/v1/jobs/nope").status_code == 404


def test_cancel_a_queued_job(client: TestClient) -> None:
    upload(client)
    (job,) = client.get("/api/v1/jobs").json()["items"]
    assert client.post(f"/api/v1/jobs/{job['id']}/cancel").json()["status"] == "cancelled"


def _sse(text: str) -> list[dict[str, str]]:
    events = []
    for block in text.replace("\r\n", "\n").strip().split("\n\n"):
        fields = dict(
            line.split(": ", 1) for line in block.splitlines() if ": " in line and line[0] != ":"
        )
        if "data" in fields:
            events.append(fields)
    return events


def test_sse_streams_a_job_until_it_ends(client: TestClient, worker: Worker) -> None:
    upload(client)
    (job,) = client.get("/api/v1/jobs").json()["items"]
    worker.run_once()
    with client.stream("GET", "/api/v1/events/stream", params={"job_id": job["id"]}) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        text = "".join(stream.iter_text())
    events = _sse(text)
    assert events[0]["event"] == "queued"
    assert events[-1]["event"] == "succeeded"
    assert json.loads(events[-1]["data"])["job_id"] == job["id"]
    ids = [int(e["id"]) for e in events]
    assert ids == sorted(ids)
    resumed = client.get(
        "/api/v1/events/stream",
        params={"job_id": job["id"]},
        headers={"Last-Event-ID": str(ids[-2])},
    )
    assert [e["event"] for e in _sse(resumed.text)] == ["succeeded"]
    assert client.get("/api/v1/events/stream", params={"job_id": "nope"}).status_code == 404


def test_health_reports_the_start_up_loading_of_deployments(client: TestClient) -> None:
    predictors = client.app.state.predictors  # type: ignore[attr-defined]
    predictors.warm_all()  # nothing deployed: loads nothing, then reports done
    assert client.get("/api/v1/health").json()["warming"] is False
    predictors.warming = True
    assert client.get("/api/v1/health").json()["warming"] is True
    predictors.warming = False
