"""A fresh SQLite store, a local artifact store and an in-process worker for each test."""

from pathlib import Path

import pytest

from tunelab.artifacts import ArtifactStore
from tunelab.jobs import Worker, default_handlers
from tunelab.tracking import MetadataStore


@pytest.fixture
def store(tmp_path: Path) -> MetadataStore:
    return MetadataStore(f"sqlite:///{tmp_path / 'meta.db'}")


@pytest.fixture
def artifacts(tmp_path: Path) -> ArtifactStore:
    return ArtifactStore(str(tmp_path / "artifacts"))


@pytest.fixture
def worker(store: MetadataStore, artifacts: ArtifactStore) -> Worker:
    return Worker(store, artifacts, default_handlers(), heartbeat_interval=0.1)
