"""Monitoring end to end with real processes: ``tunelab serve`` (no local workers) and a
separate ``tunelab worker``, driven through ``tunelab.Client``. Held-back rows do not drift;
a shifted number and a replaced category drift (and only they); labels give the metric
sklearn computes; an alert reaches a webhook receiver on loopback; a retrain on a labelled
window of the log registers a challenger compared with the champion."""

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest
from platform_helpers import free_port
from sklearn.metrics import accuracy_score, roc_auc_score

sys.path.insert(0, str(Path(__file__).parents[2] / "unit" / "server"))
from webhook_receiver import webhook_receiver

from tunelab.client import Client

# serve + worker + two small trainings: ~1.5 min on 2 loaded cores; each behaviour is also
# covered by the app-level tests in tests/unit/server (test_server_monitoring, _alerts,
# _retrain, test_client_monitoring)
pytestmark = pytest.mark.slow

FEATURES = ["x", "color", "size"]
TRAIN = {"max_trials": 1, "algorithms": ["logistic_regression"], "ensemble": False}


def table(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "x": rng.normal(size=n).round(4),
            "color": rng.choice(["red", "blue", "green"], n, p=[0.5, 0.3, 0.2]),
            "size": rng.integers(1, 10, n).astype(float),
        }
    )
    score = frame["x"] + (frame["color"] == "red") - 0.05 * frame["size"]
    frame["label"] = np.where(score + rng.normal(scale=0.3, size=n) > 0.3, "yes", "no")
    return frame


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    with webhook_receiver() as hook:
        yield hook


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[Client]:
    """``serve --workers 0`` and one ``worker`` process on the same home."""
    env = {
        **os.environ,
        "TUNELAB_WEBHOOK_ALLOW_PRIVATE": "true",
        "TUNELAB_MONITOR_INTERVAL_SECONDS": "0",
    }
    port = free_port()
    module = [sys.executable, "-m", "tunelab.cli.platform_cmd"]
    serve = [*module, "serve", "--no-sample", "--no-auth", "--workers", "0"]
    serve += ["--port", str(port), "--home", str(tmp_path)]
    worker = [*module, "worker", "--home", str(tmp_path)]
    processes = []
    for name, command in (("serve", serve), ("worker", worker)):
        log = (tmp_path / f"{name}.log").open("wb")
        processes.append(subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env))
        if name == "serve":  # the worker opens the store once serve has migrated it
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 120
            while True:
                try:
                    if httpx.get(url + "/api/v1/health", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if processes[0].poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError((tmp_path / "serve.log").read_text()[-3000:])
                time.sleep(0.2)
    try:
        with Client(url) as client:
            yield client
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def predict(client: Client, deployment_id: str, rows: pd.DataFrame) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {"ids": [], "predictions": [], "yes": []}
    for at in range(0, len(rows), 250):
        answer = client.predict(deployment_id, rows.iloc[at : at + 250][FEATURES])
        out["ids"] += answer["prediction_ids"]
        out["predictions"] += answer["predictions"]
        out["yes"] += [p["yes"] for p in answer["probabilities"]]
    return out


def logged_drift(client: Client, deployment: str, start: datetime, end: datetime, n: int) -> Any:
    """The drift report of a window once the background log has written its ``n`` rows."""
    deadline = time.monotonic() + 30
    while (report := client.drift(deployment, start=start, end=end))["rows"] < n:
        assert time.monotonic() < deadline, report["rows"]
        time.sleep(0.2)
    return report


def test_monitoring_with_real_server_and_worker(
    platform: Client, tmp_path: Path, receiver: tuple[str, list[dict[str, Any]]]
) -> None:
    client = platform
    train = table(1500, seed=0)  # > 1,000 training rows: Wasserstein and Jensen-Shannon
    train.to_csv(tmp_path / "train.csv", index=False)
    dataset_id = client.upload_dataset(tmp_path / "train.csv")
    experiment_id = client.create_experiment(dataset_id, "label", time_budget=20, **TRAIN)
    client.start_experiment(experiment_id)
    done = client.wait_experiment(experiment_id, timeout=300, poll=0.3)
    assert done["status"] == "finished", done["error"]
    deployment = client.deploy(done["best_model_id"])

    # unchanged held-back rows: no column drifts
    held = table(1000, seed=1)
    t0 = datetime.now(UTC)
    answers = predict(client, deployment, held)
    t1 = datetime.now(UTC)
    report = logged_drift(client, deployment, t0, t1, len(held))
    assert report["status"] == "ok"
    assert report["dataset_drift"] is False
    assert [c["name"] for c in report["columns"]] == FEATURES
    assert not any(c["drifted"] for c in report["columns"])

    # x shifted by two reference standard deviations, red replaced: exactly those drift
    shifted = table(1000, seed=2)
    shifted["x"] += 2 * train["x"].std()
    shifted["color"] = shifted["color"].replace("red", "purple")
    predict(client, deployment, shifted)
    t2 = datetime.now(UTC)
    report = logged_drift(client, deployment, t1, t2, len(shifted))
    assert {c["name"] for c in report["columns"] if c["drifted"]} == {"x", "color"}
    assert report["dataset_drift"] is True
    color = next(c for c in report["columns"] if c["name"] == "color")
    assert color["unseen_categories"] == ["purple"]

    # labels for the held-back predictions: the measured metrics are sklearn's
    ids = answers["ids"]
    assert client.add_labels(deployment, dict(zip(ids, held["label"], strict=True))) == 1000
    performance = client.performance(deployment, start=t0, end=t1, bucket="day")
    assert performance["labelled"] == 1000
    at = np.array([int(i.split("-", 1)[0], 16) / 1000 for i in ids])
    for bucket in performance["buckets"]:
        first = datetime.fromisoformat(bucket["start"]).timestamp()
        last = datetime.fromisoformat(bucket["end"]).timestamp()
        mine = (at >= first) & (at < last)
        truth = held["label"].to_numpy()[mine]
        assert bucket["labelled"] == mine.sum()
        measured = bucket["metrics"]
        assert measured["accuracy"]["value"] == pytest.approx(
            accuracy_score(truth, np.array(answers["predictions"])[mine])
        )
        assert measured["roc_auc"]["value"] == pytest.approx(
            roc_auc_score(truth == "yes", np.array(answers["yes"])[mine])
        )
        assert bucket["estimated"]["accuracy"]["estimate"] is True

    # an alert rule with a webhook: the check job (run by the worker) reaches the receiver
    url, received = receiver
    rule = client.add_alert_rule(deployment, "dataset_drift", webhook_url=url)
    job = client.wait_job(client.check_alerts(deployment), timeout=120, poll=0.3)
    assert job["status"] == "succeeded", job["error"]
    assert len(received) == 1
    assert (received[0]["rule_id"], received[0]["kind"]) == (rule["id"], "dataset_drift")
    assert set(received[0]["details"]["columns"]) == {"x", "color"}
    assert [a["delivered"] for a in client.alerts(deployment)] == [True]

    # a retrain on the labelled window (plus the original rows): a compared challenger
    started = client.retrain(deployment, window=(t0, t1), include_training_data=True)
    job = client.wait_job(started["job_id"], timeout=300, poll=0.3)
    assert job["status"] == "succeeded", job["error"]
    (item,) = client.retrains(deployment)
    result = item["result"]
    name = started["name"]
    assert (result["champion"], result["challenger"]) == (f"{name}/1", f"{name}/2")
    comparison = result["comparison"]
    metric = comparison["metric"]
    assert comparison["n_rows"] > 0
    for side in ("champion", "challenger"):
        scored = comparison[side]["metrics"][metric]
        assert scored["ci_low"] <= scored["value"] <= scored["ci_high"]
    assert result["training_rows"] == {"window": 1000, "original": 1500}
    assert client.promote(deployment, 2)["version"] == 2
    assert client.predict(deployment, held.iloc[:1][FEATURES])["model"] == f"{name}/2"
