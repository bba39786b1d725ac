"""REST helpers the browser tests share: check answers, wait for jobs, train a model."""

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

# the Ray clusters of the ``ray_server`` fixture's ``--ray-address`` (nothing listens there)
RAY_CLUSTERS = ("10.0.0.5:6379", "10.0.0.6:6379")


def ok(response: Any) -> Any:
    """The JSON body of a successful Playwright API response (fails the test otherwise)."""
    assert response.ok, f"{response.status} {response.text()}"
    return response.json()


def wait_for(
    request: Any, url: str, ready: Callable[[dict[str, Any]], bool], seconds: float
) -> Any:
    """Poll ``url`` until ``ready(body)``; fail the test after ``seconds``."""
    deadline = time.monotonic() + seconds
    body: Any = None
    while time.monotonic() < deadline:
        body = ok(request.get(url))
        if ready(body):
            return body
        time.sleep(0.5)
    pytest.fail(f"{url} did not get ready in {seconds} s: {body}")


def train_model(
    request: Any, csv: bytes, *, target: str, name: str, time_budget: int, settings: dict[str, Any]
) -> str:
    """Upload ``csv``, run a short real AutoML through the REST API; the best model's id."""
    upload = {"file": {"name": "churn.csv", "mimeType": "text/csv", "buffer": csv}}
    dataset = ok(request.post("/api/v1/datasets", multipart=upload))
    if dataset.get("job_id"):
        wait_for(
            request,
            f"/api/v1/jobs/{dataset['job_id']}",
            lambda j: j["status"] in ("succeeded", "failed"),
            60,
        )
    body = {
        "dataset_id": dataset["id"],
        "target": target,
        "time_budget": time_budget,
        "name": name,
        "settings": settings,
    }
    # the server's first experiment imports the AutoML stack: slow on a loaded machine
    experiment = ok(request.post("/api/v1/experiments", data=body, timeout=90_000))
    return str(run_to_end(request, experiment["id"])["best_model_id"])


def run_to_end(request: Any, experiment_id: str, seconds: float = 120) -> Any:
    """Start the experiment's next run and wait for it; the finished experiment (fails the
    test if it did not finish)."""
    ok(request.post(f"/api/v1/experiments/{experiment_id}/start"))
    done = wait_for(
        request,
        f"/api/v1/experiments/{experiment_id}",
        lambda e: e["status"] in ("finished", "failed", "stopped"),
        seconds,
    )
    assert done["status"] == "finished", done
    return done


@contextmanager
def signed_in_request(browser: Any, server: str, signed_in: dict[str, Any]) -> Iterator[Any]:
    """An API request context of the signed-in e2e user (for module-scoped fixtures, which
    cannot use the per-test ``page``), sending the CSRF header its writes need."""
    csrf = next(c["value"] for c in signed_in["cookies"] if c["name"] == "tunelab_csrf")
    context = browser.new_context(
        base_url=server, storage_state=signed_in, extra_http_headers={"X-CSRF-Token": csrf}
    )
    try:
        yield context.request
    finally:
        context.close()


def experiment_without_target(request: Any, server: str, file: dict[str, Any], name: str) -> str:
    """Upload ``file`` (Playwright's multipart file), wait until it is profiled and create an
    experiment on it with no target yet; the experiment's id."""
    upload = request.post(f"{server}/api/v1/datasets", multipart={"file": file})
    assert upload.ok, upload.text()
    dataset_id = upload.json()["id"]
    wait_for(request, f"{server}/api/v1/datasets/{dataset_id}", lambda d: d["n_rows"], 90)
    created = request.post(
        f"{server}/api/v1/experiments", data={"dataset_id": dataset_id, "name": name}
    )
    assert created.status == 201, created.text()
    return str(created.json()["id"])
