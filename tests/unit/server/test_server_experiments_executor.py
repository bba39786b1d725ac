"""The experiment settings' executor section over REST: local or one of the Ray clusters the
server was started with (``--ray-address``), and the per-trial resources."""

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from server_helpers import upload

from tunelab.server import ServerSettings, create_app

CLUSTERS = ["10.0.0.5:6379", "10.0.0.6:6379"]


@pytest.fixture
def ray_client(tmp_path: Path) -> TestClient:
    settings = ServerSettings(home=tmp_path / "ray-home", ray_address=CLUSTERS)
    return TestClient(create_app(settings), base_url="http://localhost")


def _create(client: TestClient, settings: dict[str, object]) -> tuple[int, dict]:
    body = {"dataset_id": upload(client), "target": "label", "settings": settings}
    response = client.post("/api/v1/experiments", json=body)
    return response.status_code, response.json()


def test_ray_addresses_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TUNELAB_RAY_ADDRESS", "10.0.0.5:6379, 10.0.0.6:6379")
    assert ServerSettings(home=tmp_path).ray_address == CLUSTERS


def test_a_configured_cluster_and_the_resources_are_stored(ray_client: TestClient) -> None:
    with ray_client as client:
        settings = {
            "executor": {"kind": "ray", "address": CLUSTERS[1]},
            "cpu_per_trial": 2,
            "memory_limit_mb": 1024,
            "gpu_per_trial": 0.5,
        }
        status, body = _create(client, settings)
        assert status == 201, body
        got = client.get(f"/api/v1/experiments/{body['id']}").json()["settings"]
        assert got["executor"] == {"kind": "ray", "address": CLUSTERS[1]}
        assert (got["cpu_per_trial"], got["memory_limit_mb"], got["gpu_per_trial"]) == (
            2,
            1024,
            0.5,
        )
        # the default cluster (no address) and local processes are fine too
        assert _create(client, {"executor": {"kind": "ray"}})[0] == 201
        assert _create(client, {"executor": {"kind": "local"}})[0] == 201


def test_an_address_the_operator_did_not_configure_is_422(ray_client: TestClient) -> None:
    """A web user cannot point the server at an arbitrary network address."""
    with ray_client as client:
        status, body = _create(client, {"executor": {"kind": "ray", "address": "127.0.0.1:22"}})
        assert status == 422
        (error,) = body["detail"]
        assert error["loc"] == ["body", "settings", "executor", "address"]
        assert "not a configured Ray cluster" in error["msg"]
        experiment_id = _create(client, {})[1]["id"]
        patched = client.patch(
            f"/api/v1/experiments/{experiment_id}",
            json={"settings": {"executor": {"kind": "ray", "address": "evil.example:6379"}}},
        )
        assert patched.status_code == 422
        stored = client.get(f"/api/v1/experiments/{experiment_id}").json()["settings"]
        assert "executor" not in stored


def test_ray_on_a_server_without_a_cluster_is_422(client: TestClient) -> None:
    status, body = _create(client, {"executor": {"kind": "ray"}})
    assert status == 422
    assert body["detail"][0]["loc"] == ["body", "settings", "executor", "kind"]
    assert "no Ray cluster is configured" in body["detail"][0]["msg"]


def test_start_checks_the_executor_against_the_servers_clusters(client: TestClient) -> None:
    """Settings stored when another configuration allowed them are refused at start."""
    status, body = _create(client, {})
    assert status == 201
    store = client.app.state.store  # type: ignore[attr-defined]
    store.update_experiment(body["id"], settings_patch={"executor": {"kind": "ray"}})
    started = client.post(f"/api/v1/experiments/{body['id']}/start")
    assert started.status_code == 422
    assert started.json()["detail"][0]["loc"] == ["body", "settings", "executor", "kind"]
    assert client.get(f"/api/v1/experiments/{body['id']}").json()["status"] == "ready"


@pytest.mark.parametrize(
    ("settings", "loc"),
    [
        ({"executor": {"kind": "slurm"}}, ["executor", "kind"]),
        ({"executor": {"kind": "local", "address": CLUSTERS[0]}}, ["executor"]),
        ({"cpu_per_trial": 0}, ["cpu_per_trial"]),
        ({"gpu_per_trial": -1}, ["gpu_per_trial"]),
    ],
)
def test_bad_executor_settings_are_422_naming_the_field(
    ray_client: TestClient, settings: dict[str, object], loc: list[str]
) -> None:
    with ray_client as client:
        status, body = _create(client, settings)
        assert status == 422, body
        assert body["detail"][0]["loc"][:2] == ["body", "settings"]
        assert body["detail"][0]["loc"][2 : 2 + len(loc)] == loc
