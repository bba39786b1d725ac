"""Chunked upload sessions expire after an idle time; their files are removed."""

import hashlib
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tunelab.artifacts import ArtifactStore
from tunelab.server import ServerSettings

DATA = b"a,b\n" + b"".join(f"{i},{i % 3}\n".encode() for i in range(400))
CHUNK = 1024


@pytest.fixture
def settings(tmp_path: Path) -> ServerSettings:
    return ServerSettings(home=tmp_path / "home", max_upload_bytes=1_000_000)


def _start(client: TestClient) -> str:
    body = {
        "filename": "t.csv",
        "size": len(DATA),
        "sha256": hashlib.sha256(DATA).hexdigest(),
        "chunk_size": CHUNK,
    }
    response = client.post("/api/v1/uploads", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["upload_id"])


def test_an_idle_upload_expires_and_its_files_go(
    client: TestClient, settings: ServerSettings, artifacts: ArtifactStore
) -> None:
    upload_id = _start(client)
    url = f"/api/v1/uploads/{upload_id}/chunks/0"
    assert client.put(url, content=DATA[:CHUNK]).status_code == 200
    assert artifacts.list(f"uploads/{upload_id}")
    settings.upload_idle_seconds = 0.0  # every session is now idle for too long
    answer = client.get(f"/api/v1/uploads/{upload_id}")
    assert answer.status_code == 404
    assert "expired" in answer.json()["detail"]
    assert artifacts.list(f"uploads/{upload_id}") == []


def test_starting_an_upload_sweeps_idle_ones(
    client: TestClient, settings: ServerSettings, artifacts: ArtifactStore
) -> None:
    old = _start(client)
    settings.upload_idle_seconds = 0.0
    new = _start(client)  # sweeps ``old``; ``new`` was made after the sweep
    assert artifacts.list(f"uploads/{old}") == []
    assert artifacts.list(f"uploads/{new}")


def test_an_active_upload_completes(client: TestClient, settings: ServerSettings) -> None:
    upload_id = _start(client)
    for index in range(-(-len(DATA) // CHUNK)):
        part = DATA[index * CHUNK : (index + 1) * CHUNK]
        assert client.put(f"/api/v1/uploads/{upload_id}/chunks/{index}", content=part).is_success
    done = client.post(f"/api/v1/uploads/{upload_id}/complete")
    assert done.status_code == 201, done.text
