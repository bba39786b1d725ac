"""Alert rules through the real app and a real worker: a drifted window raises an alert that
reaches a webhook receiver on loopback; unsafe webhook URLs are refused."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from deployment_bundles import frame
from fastapi.testclient import TestClient
from test_server_monitoring import deploy, predict
from webhook_receiver import webhook_receiver

from tunelab.artifacts import ArtifactStore
from tunelab.jobs import Worker
from tunelab.server import ServerSettings
from tunelab.tracking import MetadataStore


@pytest.fixture
def settings(tmp_path: Path) -> ServerSettings:
    return ServerSettings(home=tmp_path / "home", webhook_allow_private=True)


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    with webhook_receiver() as hook:
        yield hook


def test_drift_alert_reaches_the_webhook(
    client: TestClient,
    store: MetadataStore,
    artifacts: ArtifactStore,
    worker: Worker,
    tmp_path: Path,
    receiver: tuple[str, list[dict[str, Any]]],
) -> None:
    url, received = receiver
    deployment = deploy(store, artifacts, tmp_path, "binary", "clf")
    base = f"/api/v1/deployments/{deployment}"
    rules = [
        {"kind": "dataset_drift", "webhook_url": url},
        {"kind": "column_drift", "params": {"column": "size"}},
        {"kind": "error_rate", "params": {"value": 0.5}},  # 1 of 4 requests failed
    ]
    for rule in rules:
        assert client.post(f"{base}/alert-rules", json=rule).status_code == 201
    rows = frame(600, seed=7)
    rows["x"] = rows["x"] + 5
    rows["color"] = "purple"
    predict(client, deployment, rows)
    bad = client.post(f"{base}/predict", json={"records": [{"x": 1}]})
    assert bad.status_code == 422
    client.app.state.predictors.log.flush()  # type: ignore[attr-defined]
    check = client.post(f"{base}/alerts/check")
    assert check.status_code == 202
    assert worker.run_once()
    job = store.get_job(check.json()["job_id"])
    assert job.status.value == "succeeded", job.error
    assert job.result == {"checked": 3, "fired": 1}
    assert len(received) == 1
    assert received[0]["kind"] == "dataset_drift"
    assert received[0]["deployment_id"] == deployment
    assert set(received[0]["details"]["columns"]) == {"x", "color"}
    alerts = client.get(f"{base}/alerts").json()["items"]
    assert [a["delivered"] for a in alerts] == [True]
    assert "dataset drift" in alerts[0]["message"]
    # the cooldown keeps the same alert from firing again at once
    client.post(f"{base}/alerts/check")
    worker.run_once()
    assert len(received) == 1


def test_error_rate_alert(
    client: TestClient,
    store: MetadataStore,
    artifacts: ArtifactStore,
    worker: Worker,
    tmp_path: Path,
) -> None:
    deployment = deploy(store, artifacts, tmp_path, "binary", "clf")
    base = f"/api/v1/deployments/{deployment}"
    client.post(f"{base}/alert-rules", json={"kind": "error_rate", "params": {"value": 0.2}})
    predict(client, deployment, frame(2, seed=8))
    for _ in range(2):
        client.post(f"{base}/predict", json={"records": [{"x": 1}]})
    client.app.state.predictors.log.flush()  # type: ignore[attr-defined]
    client.post(f"{base}/alerts/check")
    worker.run_once()
    alerts = client.get(f"{base}/alerts").json()["items"]
    assert len(alerts) == 1
    assert alerts[0]["details"]["error_rate"] == pytest.approx(2 / 3)  # 2 of 3 requests failed
    assert alerts[0]["delivered"] is None


@pytest.mark.parametrize(
    ("url", "allow"),
    [
        ("ftp://127.0.0.1/x", True),
        ("http://user:pw@127.0.0.1/x", True),
        ("http://127.0.0.1:9/x", False),
        ("http://10.1.2.3/x", False),
    ],
)
def test_unsafe_webhooks_are_refused(tmp_path: Path, url: str, allow: bool) -> None:
    settings = ServerSettings(home=tmp_path / "home", webhook_allow_private=allow)
    from tunelab.server import create_app

    with TestClient(create_app(settings), base_url="http://localhost") as client:
        store = client.app.state.store  # type: ignore[attr-defined]
        artifacts = client.app.state.artifacts  # type: ignore[attr-defined]
        deployment = deploy(store, artifacts, tmp_path, "binary", "clf")
        response = client.post(
            f"/api/v1/deployments/{deployment}/alert-rules",
            json={"kind": "dataset_drift", "webhook_url": url},
        )
    assert response.status_code == 422
    assert "webhook_url" in response.text
