"""An app on a temporary home, a worker to run its jobs, and a small real model bundle."""

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).parents[1] / "jobs"))
from bundle_factory import save_test_bundle

from tunelab.artifacts import ArtifactStore
from tunelab.jobs import Worker, default_handlers
from tunelab.server import ServerSettings, create_app
from tunelab.tracking import MetadataStore


@pytest.fixture
def settings(tmp_path: Path) -> ServerSettings:
    return ServerSettings(home=tmp_path / "home", max_upload_bytes=50_000, sse_poll_seconds=0.05)


@pytest.fixture
def client(settings: ServerSettings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), base_url="http://localhost") as test_client:
        yield test_client


@pytest.fixture
def store(client: TestClient) -> MetadataStore:
    return client.app.state.store  # type: ignore[attr-defined,no-any-return]


@pytest.fixture
def artifacts(client: TestClient) -> ArtifactStore:
    return client.app.state.artifacts  # type: ignore[attr-defined,no-any-return]


@pytest.fixture
def worker(store: MetadataStore, artifacts: ArtifactStore) -> Worker:
    """Runs queued jobs when the test calls ``worker.run_once()`` (never inside the app)."""
    return Worker(store, artifacts, default_handlers(), heartbeat_interval=0.1)


@pytest.fixture
def model_id(store: MetadataStore, artifacts: ArtifactStore, tmp_path: Path) -> str:
    return save_test_bundle(store, artifacts, tmp_path)
