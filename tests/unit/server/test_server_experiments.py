"""Experiments over HTTP: validation, optimistic locking, start/stop, leaderboard."""

from concurrent.futures import ThreadPoolExecutor

from fastapi.testclient import TestClient
from server_helpers import upload

from tunelab.entities import TrialRecord, TrialStatus
from tunelab.jobs import Worker
from tunelab.tracking import MetadataStore


def _experiment(client: TestClient, **extra: object) -> str:
    dataset_id = upload(client)
    body = {"dataset_id": dataset_id, "target": "label", **extra}
    response = client.post("/api/v1/experiments", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def test_create_and_get(client: TestClient) -> None:
    experiment_id = _experiment(client, task="binary", metric="roc_auc", time_budget=30)
    got = client.get(f"/api/v1/experiments/{experiment_id}").json()
    assert (got["status"], got["best_model_id"], got["version"]) == ("ready", None, 1)
    assert (got["task"], got["metric"], got["settings"]) == (
        "binary",
        "roc_auc",
        {"time_budget": 30, "test_ratio": 0.2},  # a test part held back by default
    )
    listed = client.get("/api/v1/experiments", params={"status": "ready"}).json()
    assert [e["id"] for e in listed["items"]] == [experiment_id]


def test_bad_bodies_are_422_naming_the_field(client: TestClient, worker: Worker) -> None:
    dataset_id = upload(client)
    worker.run_once()  # profiled: the target can now be checked
    cases = {
        "target": {"dataset_id": dataset_id, "target": "nope"},
        "task": {"dataset_id": dataset_id, "target": "label", "task": "ranking"},
        "metric": {"dataset_id": dataset_id, "target": "label", "task": "binary", "metric": "zz"},
        "time_budget": {"dataset_id": dataset_id, "target": "label", "time_budget": -1},
        "surprise": {"dataset_id": dataset_id, "target": "label", "surprise": 1},
    }
    for field, body in cases.items():
        response = client.post("/api/v1/experiments", json=body)
        assert response.status_code == 422, field
        assert response.json()["detail"][0]["loc"][-1] == field
    # a missing target is allowed (issue 4): created "ready", start answers 422 until set
    missing = client.post("/api/v1/experiments", json={"dataset_id": dataset_id})
    assert missing.status_code == 201
    start = client.post(f"/api/v1/experiments/{missing.json()['id']}/start")
    assert (start.status_code, start.json()["detail"][0]["loc"]) == (422, ["body", "target"])
    unknown = client.post("/api/v1/experiments", json={"dataset_id": "nope", "target": "y"})
    assert unknown.status_code == 404


def test_patch_with_a_stale_version_is_409(client: TestClient) -> None:
    url = f"/api/v1/experiments/{_experiment(client)}"
    first = client.patch(url, json={"version": 1, "settings": {"max_trials": 5}})
    assert first.status_code == 200
    assert first.json()["version"] == 2
    stale = client.patch(url, json={"version": 1, "settings": {"max_trials": 9}})
    assert stale.status_code == 409
    by_header = client.patch(url, json={"name": "n"}, headers={"If-Match": '"1"'})
    assert by_header.status_code == 409
    assert client.get(url).json()["settings"] == {"max_trials": 5, "test_ratio": 0.2}


def test_concurrent_patches_keep_every_change(client: TestClient) -> None:
    url = f"/api/v1/experiments/{_experiment(client)}"

    changes = {
        "description": "d",
        "seed": 3,
        "max_trials": 9,
        "n_jobs": 2,
        "log_level": "debug",
        "sampler": "random",
        "early_stopping_rounds": 4,
        "trial_timeout": 7,
        "memory_limit_mb": 900,
        "ensemble": "none",
        "cpu_per_trial": 1,
        "test_ratio": 0.1,
    }

    def patch(key: str) -> int:
        return client.patch(url, json={"settings": {key: changes[key]}}).status_code

    with ThreadPoolExecutor(4) as pool:
        assert set(pool.map(patch, changes)) == {200}
    final = client.get(url).json()
    assert final["settings"] == changes
    assert final["version"] == 1 + len(changes)


def test_start_twice_is_409_and_stop_before_a_worker_took_it(
    client: TestClient, store: MetadataStore
) -> None:
    experiment_id = _experiment(client)
    started = client.post(f"/api/v1/experiments/{experiment_id}/start")
    assert started.status_code == 202
    job_id = started.json()["job_id"]
    assert store.get_job(job_id).kind == "automl"
    again = client.post(f"/api/v1/experiments/{experiment_id}/start")
    assert again.status_code == 409
    assert "is running" in again.json()["detail"]
    patch = client.patch(f"/api/v1/experiments/{experiment_id}", json={"name": "x"})
    assert patch.status_code == 409
    assert client.delete(f"/api/v1/experiments/{experiment_id}").status_code == 409
    stopped = client.post(f"/api/v1/experiments/{experiment_id}/stop")
    assert stopped.json()["status"] == "stopped"
    assert store.get_job(job_id).status == "cancelled"
    assert client.post(f"/api/v1/experiments/{experiment_id}/stop").status_code == 409
    assert client.delete(f"/api/v1/experiments/{experiment_id}").status_code == 204


def test_a_lost_job_does_not_leave_the_experiment_running(
    client: TestClient, store: MetadataStore
) -> None:
    experiment_id = _experiment(client)
    job_id = client.post(f"/api/v1/experiments/{experiment_id}/start").json()["job_id"]
    store.claim_next_job("w", lease_seconds=30, kinds=["automl"])
    store.finish_job(job_id, "w", "failed", error="worker lease expired 3 times")
    got = client.get(f"/api/v1/experiments/{experiment_id}").json()
    assert (got["status"], got["error"]) == ("failed", "worker lease expired 3 times")


def test_leaderboard_follows_the_metric_direction(
    client: TestClient, store: MetadataStore
) -> None:
    experiment_id = _experiment(client, task="regression", metric="rmse")
    for number, score in enumerate([3.0, 1.0, None, 2.0]):
        status = TrialStatus.OK if score is not None else TrialStatus.FAILED
        record = TrialRecord(number=number, family="ridge", params={}, status=status, score=score)
        store.record_trial(experiment_id, record)
    board = client.get(f"/api/v1/experiments/{experiment_id}/leaderboard").json()
    assert (board["metric"], board["greater_is_better"], board["total"]) == ("rmse", False, 4)
    assert [t["number"] for t in board["items"]] == [1, 3, 0, 2]
    trial = client.get(f"/api/v1/experiments/{experiment_id}/trials/3").json()
    assert (trial["family"], trial["score"]) == ("ridge", 2.0)
    assert client.get(f"/api/v1/experiments/{experiment_id}/trials/9").status_code == 404
    assert client.get("/api/v1/experiments/nope/leaderboard").status_code == 404


def test_copy_reapplies_settings(client: TestClient) -> None:
    experiment_id = _experiment(client, metric="f1", time_budget=10)
    other = upload(client)
    response = client.post(f"/api/v1/experiments/{experiment_id}/copy", json={"dataset_id": other})
    copy = client.get(f"/api/v1/experiments/{response.json()['id']}").json()
    assert (copy["dataset_id"], copy["settings"], copy["metric"]) == (
        other,
        {"time_budget": 10, "test_ratio": 0.2},
        "f1",
    )
    assert copy["status"] == "ready"


def test_runs_are_listed_and_each_has_its_own_leaderboard(
    client: TestClient, store: MetadataStore
) -> None:
    from tunelab.entities.platform import ExperimentStatus as Status

    experiment_id = _experiment(client, task="regression", metric="rmse")
    url = f"/api/v1/experiments/{experiment_id}"
    assert client.get(f"{url}/runs").json() == []
    for run, scores in ((1, [3.0, 1.0, 2.0]), (2, [5.0, None])):
        allowed = [Status.READY, Status.FINISHED]
        store.transition_experiment(experiment_id, to=Status.RUNNING, allowed_from=allowed)
        for number, score in enumerate(scores):
            status = TrialStatus.OK if score is not None else TrialStatus.FAILED
            record = TrialRecord(number, "ridge", {}, status, score=score, host=f"host{number}")
            store.record_trial(experiment_id, record, run=run)
        store.transition_experiment(
            experiment_id, to=Status.FINISHED, allowed_from=[Status.RUNNING], best_model_id=None
        )
    runs = client.get(f"{url}/runs").json()
    assert [(r["number"], r["n_trials"], r["best_score"]) for r in runs] == [
        (2, 2, 5.0),
        (1, 3, 1.0),  # rmse: lower is better
    ]
    assert runs[0]["status"] == "finished"
    assert client.get(f"{url}/runs/1").json()["n_trials"] == 3
    assert client.get(f"{url}/runs/3").status_code == 404
    latest = client.get(f"{url}/leaderboard").json()
    assert (latest["run"], latest["total"]) == (2, 2)
    first = client.get(f"{url}/leaderboard", params={"run": 1}).json()
    assert (first["run"], first["total"]) == (1, 3)
    assert [t["number"] for t in first["items"]] == [1, 2, 0]
    assert [t["host"] for t in first["items"]] == ["host1", "host2", "host0"]
    assert client.get(f"{url}/leaderboard", params={"run": 7}).status_code == 404
    assert client.get(f"{url}/trials/0", params={"run": 1}).json()["score"] == 3.0
    assert client.get(f"{url}/trials/0").json()["score"] == 5.0
    listed = client.get("/api/v1/experiments").json()["items"][0]
    assert listed["id"] == experiment_id
    # a trial's own model: queued as a job; a failed trial has nothing to refit
    made = client.post(f"{url}/runs/1/trials/1/model")
    assert made.status_code == 202, made.text
    job = store.get_job(made.json()["job_id"])
    assert job.kind == "trial_model"
    assert job.payload == {
        "experiment_id": experiment_id,
        "run": 1,
        "trial": 1,
        "model_id": made.json()["model_id"],
    }
    assert client.post(f"{url}/runs/2/trials/1/model").status_code == 409
    assert client.post(f"{url}/runs/5/trials/0/model").status_code == 404
