"""Dataset upload (streamed, size-limited, format-checked), profile job, column settings."""

import pytest
from fastapi.testclient import TestClient
from server_helpers import CSV, upload

from tunelab.artifacts import ArtifactStore
from tunelab.jobs import Worker


def test_upload_then_profile_job(client: TestClient, worker: Worker) -> None:
    response = client.post("/api/v1/datasets", files={"file": ("my data.csv", CSV.encode())})
    assert response.status_code == 201
    body = response.json()
    dataset = client.get(f"/api/v1/datasets/{body['id']}").json()
    assert (dataset["name"], dataset["size_bytes"], dataset["n_rows"]) == (
        "my_data.csv",
        len(CSV),
        None,
    )
    assert client.get(f"/api/v1/datasets/{body['id']}/profile").status_code == 409
    job = worker.run_once()
    assert job is not None
    assert (job.id, job.status) == (body["job_id"], "succeeded")
    dataset = client.get(f"/api/v1/datasets/{body['id']}").json()
    assert (dataset["n_rows"], dataset["n_columns"]) == (60, 3)
    profile = client.get(f"/api/v1/datasets/{body['id']}/profile").json()
    assert [c["name"] for c in profile["columns"]] == ["x", "color", "label"]
    assert [d["id"] for d in client.get("/api/v1/datasets").json()["items"]] == [body["id"]]


def test_oversized_upload_is_413_and_leaves_nothing(
    client: TestClient, artifacts: ArtifactStore
) -> None:
    big = "a,b\n" + "1,2\n" * 20_000  # 80 kB > 50 kB limit
    response = client.post("/api/v1/datasets", files={"file": ("big.csv", big.encode())})
    assert response.status_code == 413
    assert "limit of 50000" in response.json()["detail"]
    assert artifacts.list() == []
    assert client.get("/api/v1/datasets").json()["items"] == []


def test_unsupported_type_is_422_naming_the_file(
    client: TestClient, artifacts: ArtifactStore
) -> None:
    response = client.post("/api/v1/datasets", files={"file": ("run.exe", b"MZ\x90")})
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", "file"]
    assert "'run.exe': unsupported file type '.exe'" in error["msg"]
    assert artifacts.list() == []


def test_missing_or_empty_file_field_is_422(client: TestClient) -> None:
    response = client.post("/api/v1/datasets", files={"other": ("a.csv", b"a\n1\n")})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "file"]
    empty = client.post("/api/v1/datasets", files={"file": ("a.csv", b"")})
    assert empty.status_code == 422
    assert client.post("/api/v1/datasets", json={"file": "x"}).status_code == 422


def test_corrupt_file_fails_its_profile_job(
    client: TestClient, worker: Worker, artifacts: ArtifactStore
) -> None:
    dataset_id = upload(client, "PAR1 garbage", name="broken.parquet")  # the right signature
    job = worker.run_once()
    assert job is not None
    assert job.status == "failed"
    assert "broken.parquet" in job.error
    assert "/tmp" not in job.error
    assert "Error:" not in job.error
    assert client.get(f"/api/v1/datasets/{dataset_id}").json()["n_rows"] is None


@pytest.mark.parametrize(
    ("text", "name", "words"),
    [
        ("\x00\x01garbage", "broken.parquet", "is not a parquet file"),
        (
            "It was a dark night, and the rain fell in torrents.\n"
            "Except at occasional intervals, when it was checked.\n"
            "A violent gust of wind swept up the streets, rattling along the housetops.\n",
            "story.txt",
            "is not a table",
        ),
    ],
)
def test_what_is_not_a_table_is_refused_at_upload(
    client: TestClient, artifacts: ArtifactStore, text: str, name: str, words: str
) -> None:
    response = client.post("/api/v1/datasets", files={"file": (name, text.encode())})
    assert response.status_code == 422, response.text
    message = response.json()["detail"][0]["msg"]
    assert words in message
    assert name in message
    assert "/" not in message
    assert "Error" not in message
    assert client.get("/api/v1/datasets").json()["items"] == []
    assert artifacts.list("datasets") == []


def test_column_settings_and_delete(client: TestClient, artifacts: ArtifactStore) -> None:
    dataset_id = upload(client)
    url = f"/api/v1/datasets/{dataset_id}/column-settings"
    assert client.patch(url, json={"x": {"scaling": "minmax"}}).json() == {
        "x": {"scaling": "minmax"}
    }
    merged = client.patch(url, json={"x": {"imputation": "median"}, "color": {"skip": True}})
    assert merged.json() == {
        "x": {"scaling": "minmax", "imputation": "median"},
        "color": {"skip": True},
    }
    assert client.get(url).json() == merged.json()
    assert client.delete(f"/api/v1/datasets/{dataset_id}").status_code == 204
    assert client.get(f"/api/v1/datasets/{dataset_id}").status_code == 404
    assert artifacts.list("datasets") == []


def test_unknown_dataset_is_404(client: TestClient) -> None:
    response = client.get("/api/v1/datasets/nope")
    assert response.status_code == 404
    assert response.json()["detail"] == "dataset 'nope' does not exist"


def test_streamed_upload_without_length_stops_at_the_limit(
    client: TestClient, artifacts: ArtifactStore
) -> None:
    boundary = "tunelabboundary"

    def body() -> object:
        yield (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="big.csv"\r\nContent-Type: text/csv\r\n\r\n'
        ).encode()
        for _ in range(100):  # 100 kB in 1 kB chunks, no Content-Length
            yield b"1,2\n" * 256
        yield f"\r\n--{boundary}--\r\n".encode()

    response = client.post(
        "/api/v1/datasets",
        content=body(),  # type: ignore[arg-type]
        headers={"content-type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.status_code == 413
    assert "big.csv: more than the limit of 50000 bytes" in response.json()["detail"]
    assert artifacts.list() == []
