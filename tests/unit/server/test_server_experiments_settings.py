"""Experiment settings over HTTP: missing target, filters, validation, locking, apply-to,
class counts and split downloads after a real small AutoML run."""

import io
import threading
from concurrent.futures import ThreadPoolExecutor

import pandas as pd
from fastapi.testclient import TestClient
from server_helpers import CSV, upload

from tunelab.entities.platform import JobStatus
from tunelab.jobs import Worker

API = "/api/v1/experiments"
CODES = "a,b,code\n" + "".join(f"{i},{i % 7},{i % 3}\n" for i in range(90))


def _profiled(client: TestClient, worker: Worker, text: str = CSV, name: str = "t.csv") -> str:
    dataset_id = upload(client, text, name)
    done = worker.run_once()
    assert done is not None
    assert done.status is JobStatus.SUCCEEDED, done.error
    return dataset_id


def _create(client: TestClient, **body: object) -> str:
    response = client.post(API, json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def test_missing_target_is_ready_but_cannot_start(client: TestClient, worker: Worker) -> None:
    dataset_id = _profiled(client, worker)
    experiment_id = _create(client, dataset_id=dataset_id)
    got = client.get(f"{API}/{experiment_id}").json()
    assert (got["status"], got["target"]) == ("ready", "")
    refused = client.post(f"{API}/{experiment_id}/start")
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["msg"] == "set a target first"
    assert client.get(f"{API}/{experiment_id}/classes").status_code == 422
    wrong = client.patch(f"{API}/{experiment_id}", json={"target": "nope"})
    assert (wrong.status_code, wrong.json()["detail"][0]["loc"]) == (422, ["body", "target"])
    assert client.patch(f"{API}/{experiment_id}", json={"target": "label"}).status_code == 200
    assert client.post(f"{API}/{experiment_id}/start").status_code == 202


def test_list_filters_and_pages(client: TestClient) -> None:
    first, second = upload(client), upload(client)
    ids = [
        _create(client, dataset_id=first, target="label", name="Churn baseline"),
        _create(client, dataset_id=first, target="label", name="churn tuned"),
        _create(client, dataset_id=second, target="label", name="Fraud"),
    ]
    by_text = client.get(API, params={"q": "CHURN"}).json()
    assert {e["id"] for e in by_text["items"]} == set(ids[:2])
    assert by_text["total"] == 2
    by_dataset = client.get(API, params={"dataset_id": second}).json()
    assert [e["id"] for e in by_dataset["items"]] == [ids[2]]
    page = client.get(API, params={"limit": 2, "offset": 1}).json()
    assert (len(page["items"]), page["total"], page["offset"]) == (2, 3, 1)
    assert [e["id"] for e in page["items"]] == [ids[1], ids[0]]  # newest first
    both = client.get(API, params={"q": "churn", "limit": 1, "offset": 1}).json()
    assert ([e["id"] for e in both["items"]], both["total"]) == ([ids[0]], 2)
    assert client.get(API, params={"limit": 0}).status_code == 422


def test_bad_settings_are_422_naming_the_field(client: TestClient, worker: Worker) -> None:
    dataset_id = _profiled(client, worker)
    url = f"{API}/{_create(client, dataset_id=dataset_id, target='label')}"
    cases = {
        ("settings", "split", "ratios"): {"split": {"kind": "holdout", "ratios": [0.5, 0.4, 0.3]}},
        ("settings", "split", "column"): {"split": {"kind": "group", "column": "missing"}},
        ("settings", "algorithms"): {"algorithms": ["lightgbm", "deep_magic"]},
        ("settings", "sampling", "balance_to"): {"sampling": {"balance_to": "maybe"}},
        ("settings", "ensemble"): {"ensemble": "voting"},
        ("settings", "n_jobs"): {"n_jobs": 0},
        ("settings", "typo"): {"typo": 1},
    }
    for loc, settings in cases.items():
        response = client.patch(url, json={"settings": settings})
        assert response.status_code == 422, (loc, response.text)
        assert tuple(response.json()["detail"][0]["loc"][1:]) == loc
    metric = client.patch(url, json={"metric": "rmse"})  # a regression metric, binary target
    assert (metric.status_code, metric.json()["detail"][0]["loc"]) == (422, ["body", "metric"])
    assert client.get(url).json()["version"] == 1  # nothing was written
    good = {"split": {"kind": "holdout", "ratios": [0.6, 0.2, 0.2]}, "algorithms": ["lightgbm"]}
    saved = client.patch(url, json={"settings": {**good, "sampling": {"balance_to": "yes"}}})
    assert saved.status_code == 200, saved.text
    created = client.post(
        API, json={"dataset_id": dataset_id, "settings": {"split": {"kind": "cv", "folds": 1}}}
    )
    assert created.json()["detail"][0]["loc"] == ["body", "settings", "split", "folds"]


def test_two_concurrent_patches_with_one_version_lose_nothing(client: TestClient) -> None:
    url = f"{API}/{_create(client, dataset_id=upload(client), target='label')}"
    barrier = threading.Barrier(2)

    def patch(settings: dict) -> int:
        barrier.wait()
        return client.patch(url, json={"version": 1, "settings": settings}).status_code

    with ThreadPoolExecutor(2) as pool:
        codes = list(pool.map(patch, [{"seed": 1}, {"max_trials": 5}]))
    assert sorted(codes) == [200, 409]
    final = client.get(url).json()
    assert final["version"] == 2
    winner = {"seed": 1} if codes[0] == 200 else {"max_trials": 5}
    assert final["settings"] == {**winner, "test_ratio": 0.2}  # the default test share
    retried = client.patch(url, headers={"If-Match": '"2"'}, json={"settings": {"seed": 1}})
    assert retried.status_code == 200
    assert client.get(url).json()["settings"] == {"seed": 1, **winner, "test_ratio": 0.2}


def test_apply_settings_to_another_dataset(client: TestClient, worker: Worker) -> None:
    first = _profiled(client, worker)
    settings = {
        "max_trials": 4,
        "split": {"kind": "holdout", "column": "x", "column_ranges": [[0, 3], [3, 4.5], [4.5, 6]]},
        "sampling": {"balance_to": "yes"},
    }
    source = _create(client, dataset_id=first, target="label", metric="f1", settings=settings)
    same_columns = _profiled(client, worker)
    applied = client.post(f"{API}/{source}/apply-to", json={"dataset_id": same_columns})
    assert applied.status_code == 201, applied.text
    assert (applied.json()["target"], applied.json()["dropped"]) == ("label", [])
    copy = client.get(f"{API}/{applied.json()['id']}").json()
    assert (copy["dataset_id"], copy["settings"], copy["metric"]) == (same_columns, settings, "f1")
    other = _profiled(client, worker, CODES, "codes.csv")
    moved = client.post(f"{API}/{source}/apply-to", json={"dataset_id": other}).json()
    assert moved["target"] is None
    assert set(moved["dropped"]) == {"split", "target", "sampling.balance_to"}
    moved_copy = client.get(f"{API}/{moved['id']}").json()
    assert (moved_copy["target"], moved_copy["settings"]["max_trials"]) == ("", 4)
    missing = client.post(f"{API}/{source}/apply-to", json={"dataset_id": "nope"})
    assert missing.status_code == 404


def test_class_counts_for_labels_and_numeric_codes(client: TestClient, worker: Worker) -> None:
    labels = _create(client, dataset_id=_profiled(client, worker), target="label")
    got = client.get(f"{API}/{labels}/classes").json()
    assert (got["task"], got["counts"], got["n_rows"]) == ("binary", {"no": 30, "yes": 30}, 60)
    codes = _create(client, dataset_id=_profiled(client, worker, CODES, "c.csv"), target="code")
    counted = client.get(f"{API}/{codes}/classes").json()
    assert (counted["task"], counted["counts"]) == ("multiclass", {"0": 30, "1": 30, "2": 30})
    again = client.get(f"{API}/{codes}/classes").json()  # from the cache
    assert again == counted


def test_split_parts_download_after_a_real_run(client: TestClient, worker: Worker) -> None:
    dataset_id = _profiled(client, worker)
    settings = {
        "max_trials": 2,
        "time_budget": 60,
        "algorithms": ["logistic_regression"],
        "ensemble": "none",
        "split": {"kind": "holdout", "ratios": [0.5, 0.25, 0.25]},
    }
    experiment_id = _create(client, dataset_id=dataset_id, target="label", settings=settings)
    assert client.get(f"{API}/{experiment_id}/splits").status_code == 404
    assert client.post(f"{API}/{experiment_id}/start").status_code == 202
    done = worker.run_once()
    assert done is not None
    assert done.status is JobStatus.SUCCEEDED, done.error
    summary = client.get(f"{API}/{experiment_id}/splits").json()
    assert summary["kind"] == "holdout"
    rows = {part: summary["parts"][part]["rows"] for part in ("train", "valid", "test")}
    assert sum(rows.values()) == 60
    assert rows["test"] == 15
    seen: set[int] = set()
    for part, n in rows.items():
        response = client.get(f"{API}/{experiment_id}/splits/{part}")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/csv")
        frame = pd.read_csv(io.StringIO(response.text))
        assert len(frame) == n
        assert list(frame.columns) == ["_row", "x", "color", "label"]
        seen |= set(frame["_row"])
    assert seen == set(range(60))
    assert client.get(f"{API}/{experiment_id}/splits/other").status_code == 422
