"""Chunked, resumable uploads: sha256-checked, size-limited, nothing half-written left."""

import hashlib
import random
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from tunelab.artifacts import ArtifactStore
from tunelab.jobs import Worker
from tunelab.server import ServerSettings

LIMIT = 6 * 1024 * 1024
CHUNK = 256 * 1024


@pytest.fixture
def settings(tmp_path: Path) -> ServerSettings:
    return ServerSettings(home=tmp_path / "home", max_upload_bytes=LIMIT, sse_poll_seconds=0.05)


@pytest.fixture(scope="module")
def payload() -> bytes:
    """A real CSV of about 3 MB (12 chunks of 256 KiB, the last one shorter)."""
    rng = np.random.default_rng(0)
    n = 120_000
    frame = pd.DataFrame(
        {
            "a": rng.normal(size=n).round(6),
            "b": rng.integers(0, 1000, n),
            "city": rng.choice(["Seoul", "Busan", "Incheon"], n),
            "y": rng.choice(["yes", "no"], n),
        }
    )
    data = frame.to_csv(index=False).encode()
    assert 2_500_000 < len(data) < LIMIT
    assert len(data) % CHUNK
    return data


def _start(client: TestClient, data: bytes, **extra: object) -> dict:
    body = {
        "filename": "big table.csv",
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "chunk_size": CHUNK,
        **extra,
    }
    response = client.post("/api/v1/uploads", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def _put(client: TestClient, upload_id: str, index: int, data: bytes) -> int:
    part = data[index * CHUNK : (index + 1) * CHUNK]
    return client.put(f"/api/v1/uploads/{upload_id}/chunks/{index}", content=part).status_code


def test_chunks_in_any_order_make_a_checked_dataset(
    client: TestClient, worker: Worker, artifacts: ArtifactStore, payload: bytes
) -> None:
    started = _start(client, payload)
    assert started["chunk_size"] == CHUNK
    assert started["n_chunks"] == -(-len(payload) // CHUNK)
    order = list(range(started["n_chunks"]))
    random.Random(3).shuffle(order)
    for index in order:
        assert _put(client, started["upload_id"], index, payload) == 200
    status = client.get(f"/api/v1/uploads/{started['upload_id']}").json()
    assert status["received"] == sorted(order)
    assert (status["received_bytes"], status["complete"]) == (len(payload), True)
    done = client.post(f"/api/v1/uploads/{started['upload_id']}/complete")
    assert done.status_code == 201, done.text
    dataset = client.get(f"/api/v1/datasets/{done.json()['id']}").json()
    assert dataset["name"] == "big_table.csv"
    assert dataset["size_bytes"] == len(payload)
    assert dataset["sha256"] == hashlib.sha256(payload).hexdigest()
    assert artifacts.list("uploads") == []  # the chunks are gone once joined
    job = worker.run_once()
    assert job is not None
    assert job.id == done.json()["job_id"]
    assert job.status == "succeeded"
    assert client.get(f"/api/v1/datasets/{dataset['id']}").json()["n_rows"] == 120_000
    download = client.get(f"/api/v1/datasets/{dataset['id']}/file")
    assert download.content == payload


def test_interrupted_upload_is_resumed(
    client: TestClient, artifacts: ArtifactStore, payload: bytes
) -> None:
    started = _start(client, payload)
    upload_id, n = started["upload_id"], started["n_chunks"]
    for index in range(0, n, 2):  # the first session sends every other chunk...
        assert _put(client, upload_id, index, payload) == 200
    cut = payload[CHUNK : CHUNK + 1000]  # ...and the connection drops inside chunk 1
    response = client.put(f"/api/v1/uploads/{upload_id}/chunks/1", content=cut)
    assert response.status_code == 422
    assert f"chunk 1 has 1000 bytes, expected {CHUNK}" in str(response.json())
    early = client.post(f"/api/v1/uploads/{upload_id}/complete")
    assert early.status_code == 409
    assert f"missing {n // 2} of {n} chunks: 1, 3, 5" in early.json()["detail"]

    # a new client process asks what arrived and sends only the rest
    received = set(client.get(f"/api/v1/uploads/{upload_id}").json()["received"])
    assert received == set(range(0, n, 2))
    for index in sorted(set(range(n)) - received):
        assert _put(client, upload_id, index, payload) == 200
    assert _put(client, upload_id, 0, payload) == 200  # a resent chunk simply replaces it
    done = client.post(f"/api/v1/uploads/{upload_id}/complete")
    assert done.status_code == 201, done.text
    key = client.app.state.store.get_dataset(done.json()["id"]).uri  # type: ignore[attr-defined]
    assert artifacts.read_bytes(key) == payload


def test_checksum_mismatch_is_422_and_cleaned_up(
    client: TestClient, artifacts: ArtifactStore, payload: bytes
) -> None:
    started = _start(client, payload)
    upload_id = started["upload_id"]
    tampered = bytearray(payload)
    tampered[CHUNK + 10] ^= 0xFF
    for index in range(started["n_chunks"]):
        assert _put(client, upload_id, index, bytes(tampered)) == 200
    response = client.post(f"/api/v1/uploads/{upload_id}/complete")
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", "sha256"]
    assert "checksum mismatch for big_table.csv" in error["msg"]
    assert artifacts.list() == []
    assert client.get("/api/v1/datasets").json()["items"] == []
    assert client.get(f"/api/v1/uploads/{upload_id}").status_code == 404


def test_over_the_limit_is_413_with_nothing_written(
    client: TestClient, artifacts: ArtifactStore, payload: bytes
) -> None:
    big = {"filename": "huge.csv", "size": LIMIT + 1, "sha256": "0" * 64}
    response = client.post("/api/v1/uploads", json=big)
    assert response.status_code == 413
    assert f"over the limit of {LIMIT}" in response.json()["detail"]
    assert artifacts.list() == []

    started = _start(client, payload)
    too_long = payload[: CHUNK + 5000]  # more bytes than chunk 0 may hold
    put = client.put(f"/api/v1/uploads/{started['upload_id']}/chunks/0", content=too_long)
    assert put.status_code == 413
    assert client.get(f"/api/v1/uploads/{started['upload_id']}").json()["received"] == []
    assert artifacts.list() == [f"uploads/{started['upload_id']}/session.json"]


def test_bad_requests_name_the_field(client: TestClient, payload: bytes) -> None:
    base = {"filename": "a.csv", "size": 10, "sha256": "a" * 64}
    cases = [
        ({**base, "filename": "a.exe"}, ["body", "filename"]),
        ({**base, "size": 0}, ["body", "size"]),
        ({**base, "sha256": "xyz"}, ["body", "sha256"]),
        ({**base, "chunk_size": 10}, ["body", "chunk_size"]),
    ]
    for body, loc in cases:
        response = client.post("/api/v1/uploads", json=body)
        assert response.status_code == 422, body
        assert response.json()["detail"][0]["loc"] == loc
    started = _start(client, payload)
    out_of_range = client.put(
        f"/api/v1/uploads/{started['upload_id']}/chunks/{started['n_chunks']}", content=b"x"
    )
    assert out_of_range.status_code == 422
    assert "out of range" in out_of_range.json()["detail"][0]["msg"]
    assert client.get("/api/v1/uploads/0123456789abcdef0123456789abcdef").status_code == 404
    assert client.get("/api/v1/uploads/..%2Fdatasets").status_code == 404


def test_abort_removes_the_upload(
    client: TestClient, artifacts: ArtifactStore, payload: bytes
) -> None:
    started = _start(client, payload)
    assert _put(client, started["upload_id"], 0, payload) == 200
    assert client.delete(f"/api/v1/uploads/{started['upload_id']}").status_code == 204
    assert artifacts.list() == []
    assert client.post(f"/api/v1/uploads/{started['upload_id']}/complete").status_code == 404
