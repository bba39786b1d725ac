"""``tunelab.Client`` monitoring methods (drift, settings, labels, performance, alert rules,
alerts, retrain, promote) against a real uvicorn server in a thread with a real worker run
by the test; retraining on a labelled window of the prediction log."""

import json
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import uvicorn
from deployment_bundles import fit_model, frame, register, save
from sklearn.metrics import accuracy_score, roc_auc_score

from tunelab.client import Client, ValidationApiError
from tunelab.jobs import Worker, default_handlers
from tunelab.server import ServerSettings, create_app

FEATURES = ["x", "color", "size"]


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    df = frame(2000)  # > 1,000 rows: Wasserstein and Jensen-Shannon
    folder = tmp_path_factory.mktemp("bundle") / "clf"
    return save(fit_model("lightgbm", "binary", df), "binary", df, folder)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[dict[str, Any]]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    settings = ServerSettings(home=tmp_path / "home", api_token="tok", webhook_allow_private=True)
    app = create_app(settings)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    state = app.state
    worker = Worker(state.store, state.artifacts, default_handlers(), heartbeat_interval=0.1)
    with Client(f"http://127.0.0.1:{port}", token="tok") as client:
        yield {"client": client, "app": app, "worker": worker}
    server.should_exit = True
    thread.join(timeout=30)


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/hook", received
    server.shutdown()
    server.server_close()


def _predict(served: dict[str, Any], deployment: str, rows: pd.DataFrame) -> dict[str, Any]:
    client: Client = served["client"]
    out: dict[str, Any] = {"ids": [], "predictions": [], "yes": []}
    for at in range(0, len(rows), 300):
        answer = client.predict(deployment, rows.iloc[at : at + 300][FEATURES])
        out["ids"] += answer["prediction_ids"]
        out["predictions"] += answer["predictions"]
        out["yes"] += [p["yes"] for p in answer["probabilities"]]
    served["app"].state.predictors.log.flush()
    return out


def test_client_drift_labels_performance_and_alerts(
    served: dict[str, Any],
    bundle: Path,
    receiver: tuple[str, list[dict[str, Any]]],
    tmp_path: Path,
) -> None:
    client: Client = served["client"]
    state = served["app"].state
    deployment = client.deploy(register(state.store, state.artifacts, bundle, "clf"))
    start = datetime.now(UTC)
    rows = frame(600, seed=5)
    rows["x"] += 2 * frame(2000)["x"].std()
    answers = _predict(served, deployment, rows)

    report = client.drift(deployment, start=start)
    assert report["rows"] == 600
    assert {c["name"] for c in report["columns"] if c["drifted"]} == {"x"}
    assert client.drift(deployment, end=start)["rows"] == 0
    settings = client.set_monitoring_settings(deployment, min_rows=700, columns={"x": {}})
    assert client.monitoring_settings(deployment) == settings
    assert client.drift(deployment)["status"] == "not_enough_data"

    ids = answers["ids"]
    assert client.add_labels(deployment, list(zip(ids[:400], rows["label"][:400], strict=True)))
    csv = tmp_path / "labels.csv"
    pd.DataFrame({"prediction_id": ids[400:], "truth": rows["label"][400:]}).to_csv(csv)
    uploaded = client.upload_labels(
        deployment, csv, key_column="prediction_id", label_column="truth"
    )
    assert (uploaded["labelled"], uploaded["unmatched"]) == (200, 0)
    performance = client.performance(deployment, bucket="week")
    (week,) = performance["buckets"]
    assert week["labelled"] == 600
    assert week["metrics"]["accuracy"]["value"] == pytest.approx(
        accuracy_score(rows["label"], answers["predictions"])
    )
    assert week["metrics"]["roc_auc"]["value"] == pytest.approx(
        roc_auc_score(rows["label"] == "yes", answers["yes"])
    )
    with pytest.raises(ValidationApiError):
        client.performance(deployment, bucket="year")

    url, received = receiver
    rule = client.add_alert_rule(deployment, "column_drift", {"column": "x"}, webhook_url=url)
    other = client.add_alert_rule(deployment, "error_rate", {"value": 0.5})
    assert [r["id"] for r in client.alert_rules(deployment)] == [rule["id"], other["id"]]
    client.delete_alert_rule(deployment, other["id"])
    assert [r["id"] for r in client.alert_rules(deployment)] == [rule["id"]]
    client.set_monitoring_settings(deployment, min_rows=100)
    job_id = client.check_alerts(deployment)
    assert served["worker"].run_once()
    assert client.get_job(job_id)["status"] == "succeeded"
    assert [r["kind"] for r in received] == ["column_drift"]
    (alert,) = client.alerts(deployment)
    assert (alert["rule_id"], alert["delivered"]) == (rule["id"], True)


def table(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {"x": rng.normal(size=n).round(4), "color": rng.choice(["red", "blue", "green"], n)}
    )
    df["label"] = np.where(df["x"] + (df["color"] == "red") > 0.3, "yes", "no")
    return df


def test_client_retrain_on_a_labelled_window(served: dict[str, Any], tmp_path: Path) -> None:
    client: Client = served["client"]
    worker: Worker = served["worker"]
    state = served["app"].state
    table(200, seed=0).to_csv(tmp_path / "old.csv", index=False)
    dataset_id = client.upload_dataset(tmp_path / "old.csv")
    experiment_id = client.create_experiment(
        dataset_id, "label", time_budget=20, max_trials=1, algorithms=["logistic_regression"],
        ensemble=False,
    )  # fmt: skip
    client.start_experiment(experiment_id)
    while worker.run_once():
        pass
    champion = client.get_experiment(experiment_id)["best_model_id"]
    deployment = client.deploy(champion)
    new = table(150, seed=1)
    new["label"] = np.where(new["x"] > 0.8, "yes", "no")  # the relation changed
    answers = client.predict(deployment, new[["x", "color"]])
    state.predictors.log.flush()
    with pytest.raises(ValidationApiError, match="0 labelled predictions"):
        client.retrain(deployment, window=(None, None))
    with pytest.raises(ValidationApiError, match=r"'window', 'start'"):
        client.retrain(deployment, window=("yesterday", None))
    with pytest.raises(ValidationApiError, match="either dataset_id or window"):
        client._call("POST", f"/deployments/{deployment}/retrain", json={})
    ids = answers["prediction_ids"]
    client.add_labels(deployment, dict(zip(ids[:120], new["label"][:120], strict=True)))

    started = client.retrain(deployment, window=(None, None), include_training_data=True)
    while worker.run_once():
        pass
    (item,) = client.retrains(deployment)
    assert item["status"] == "succeeded", item["error"]
    result = item["result"]
    assert result["training_rows"] == {"window": 120, "original": 200}
    assert result["challenger"] == f"{started['name']}/2"
    assert result["comparison"]["n_rows"] > 0
    built = client.get_dataset(started["dataset_id"])
    assert built["n_rows"] == 320
    stored = state.store.get_dataset(started["dataset_id"])
    frame_ = pd.read_csv(state.artifacts.open(stored.uri))  # the window after the original
    assert list(frame_.columns) == ["x", "color", "label"]
    assert frame_["label"].tolist() == [*table(200, seed=0)["label"], *new["label"][:120]]
    assert frame_["x"].tolist()[200:] == pytest.approx(new["x"][:120].tolist())
    assert client.promote(deployment, 2)["version"] == 2
    assert client.predict(deployment, {"x": 0.5, "color": "red"})["model"].endswith("/2")
