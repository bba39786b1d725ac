"""The Setup page's executor section: local or one of the server's Ray clusters, and the
per-trial CPUs, memory and GPUs (English and Korean), saved through the REST rules."""

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from server_helpers import upload

from tunelab.jobs import Worker, default_handlers
from tunelab.server import ServerSettings, create_app
from tunelab.tracking import MetadataStore

CLUSTERS = ["10.0.0.5:6379", "10.0.0.6:6379"]


@pytest.fixture
def ray_client(tmp_path: Path) -> TestClient:
    settings = ServerSettings(home=tmp_path / "ray-home", ray_address=CLUSTERS)
    return TestClient(create_app(settings), base_url="http://localhost")


def _experiment(client: TestClient) -> str:
    store: MetadataStore = client.app.state.store  # type: ignore[attr-defined]
    dataset_id = upload(client)
    Worker(store, client.app.state.artifacts, default_handlers()).run_once()  # type: ignore[attr-defined]
    response = client.post("/api/v1/experiments", json={"dataset_id": dataset_id})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _save(client: TestClient, experiment_id: str, **form: str) -> object:
    data = {"version": "0", "target": "label", "time_budget": "30", **form}
    return client.post(f"/experiments/{experiment_id}/setup", data=data, follow_redirects=False)


def test_the_section_offers_only_the_configured_clusters_in_both_languages(
    ray_client: TestClient,
) -> None:
    with ray_client as client:
        experiment_id = _experiment(client)
        html = client.get(f"/experiments/{experiment_id}/setup").text
        for testid in ("executor-settings", "field-executor_kind", "field-ray_address"):
            assert f'data-testid="{testid}"' in html
        for testid in ("field-cpu_per_trial", "field-memory_limit_mb", "field-gpu_per_trial"):
            assert f'data-testid="{testid}"' in html
        for address in CLUSTERS:
            assert f'<option value="{address}">{address}</option>' in html
        assert "Default (10.0.0.5:6379)" in html
        assert "Ray cluster" in html
        assert "Local processes" in html
        korean = client.get(f"/experiments/{experiment_id}/setup?lang=ko").text
        for text in (
            "실행 위치",
            "로컬 프로세스",
            "Ray 클러스터",
            "기본값 (10.0.0.5:6379)",
            "시도당 GPU",
        ):
            assert text in korean


def test_saving_the_section_stores_the_executor_and_resources(ray_client: TestClient) -> None:
    with ray_client as client:
        experiment_id = _experiment(client)
        form = {
            "executor_kind": "ray",
            "ray_address": CLUSTERS[1],
            "cpu_per_trial": "2",
            "memory_limit_mb": "2048",
            "gpu_per_trial": "0.5",
        }
        assert _save(client, experiment_id, **form).status_code == 303  # type: ignore[attr-defined]
        settings = client.get(f"/api/v1/experiments/{experiment_id}").json()["settings"]
        assert settings["executor"] == {"kind": "ray", "address": CLUSTERS[1]}
        assert (settings["cpu_per_trial"], settings["gpu_per_trial"]) == (2, 0.5)
        assert settings["memory_limit_mb"] == 2048
        html = client.get(f"/experiments/{experiment_id}/setup").text
        assert f'<option value="{CLUSTERS[1]}" selected>' in html
        assert '<option value="ray" selected>' in html
        # back to the server's default: the section is dropped from the settings
        assert _save(client, experiment_id, executor_kind="").status_code == 303  # type: ignore[attr-defined]
        settings = client.get(f"/api/v1/experiments/{experiment_id}").json()["settings"]
        assert "executor" not in settings or settings["executor"] is None


def test_an_unconfigured_address_comes_back_next_to_its_field(ray_client: TestClient) -> None:
    """A posted address that is not in the list (a hand-made request) is refused in place."""
    with ray_client as client:
        experiment_id = _experiment(client)
        answer = _save(client, experiment_id, executor_kind="ray", ray_address="127.0.0.1:22")
        assert answer.status_code == 200  # type: ignore[attr-defined]
        html = answer.text  # type: ignore[attr-defined]
        assert 'data-testid="error-ray_address"' in html
        assert "not a configured Ray cluster" in html
        settings = client.get(f"/api/v1/experiments/{experiment_id}").json()["settings"]
        assert "executor" not in settings


def test_without_a_cluster_ray_is_refused_at_the_kind(client: TestClient, worker: Worker) -> None:
    dataset_id = upload(client)
    worker.run_once()
    experiment_id = client.post("/api/v1/experiments", json={"dataset_id": dataset_id}).json()[
        "id"
    ]
    html = client.get(f"/experiments/{experiment_id}/setup").text
    assert "No Ray cluster configured" in html
    answer = _save(client, experiment_id, executor_kind="ray")
    assert 'data-testid="error-executor_kind"' in answer.text  # type: ignore[attr-defined]
    assert "no Ray cluster is configured" in answer.text  # type: ignore[attr-defined]
    korean = client.get(f"/experiments/{experiment_id}/setup?lang=ko").text
    assert "설정된 Ray 클러스터가 없습니다" in korean


def test_the_run_page_says_where_trials_run(ray_client: TestClient) -> None:
    with ray_client as client:
        experiment_id = _experiment(client)
        assert _save(client, experiment_id).status_code == 303  # type: ignore[attr-defined]
        page = client.get(f"/experiments/{experiment_id}/run").text
        assert "1 CPU per trial · Ray cluster 10.0.0.5:6379" in page  # the server's default
        form = {"executor_kind": "ray", "ray_address": CLUSTERS[1], "cpu_per_trial": "2"}
        assert _save(client, experiment_id, **form).status_code == 303  # type: ignore[attr-defined]
        page = client.get(f"/experiments/{experiment_id}/run?lang=ko").text
        assert "시도당 CPU 2개 · Ray 클러스터 10.0.0.6:6379" in page
        assert _save(client, experiment_id, executor_kind="local").status_code == 303  # type: ignore[attr-defined]
        page = client.get(f"/experiments/{experiment_id}/run?lang=en").text
        assert "1 CPU per trial · local processes" in page
