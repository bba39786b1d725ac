"""Datasets beyond the upload: samples, S3 import, recent, preview, recommend, EDA, download."""

import json
import socket
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from server_helpers import CSV, upload

from tunelab.artifacts import ArtifactStore
from tunelab.data import profile_dataset
from tunelab.jobs import Worker
from tunelab.preprocessing import recommend
from tunelab.server import ServerSettings
from tunelab.server.datasets import preview as preview_module
from tunelab.server.datasets.samples import SAMPLES_DIR, create_sample_dataset, list_samples
from tunelab.tracking import MetadataStore

sys.path.insert(0, str(Path(__file__).parents[1] / "artifacts"))
from moto_s3 import moto_server, s3_options


@pytest.fixture
def settings(tmp_path: Path) -> ServerSettings:
    return ServerSettings(home=tmp_path / "home", max_upload_bytes=300_000, sse_poll_seconds=0.05)


def _profiled(client: TestClient, worker: Worker, text: str = CSV, name: str = "t.csv") -> str:
    dataset_id = upload(client, text, name)
    job = worker.run_once()
    assert job is not None
    assert job.status == "succeeded", job.error
    return dataset_id


# ----- samples and recent files ---------------------------------------------------------
def test_samples_catalog_matches_the_shipped_files() -> None:
    samples = list_samples()
    assert {s["task"] for s in samples} == {"binary", "multiclass", "regression"}
    for sample in samples:
        path = SAMPLES_DIR / f"{sample['name']}.csv"
        frame = pd.read_csv(path)
        assert frame.shape == (sample["rows"], sample["columns"]), sample["name"]
        assert sample["target"] in frame.columns
        assert path.stat().st_size < 1_000_000
        assert sample["source"]
        assert sample["licence"]


def test_dataset_from_a_sample(client: TestClient, worker: Worker) -> None:
    listed = client.get("/api/v1/datasets/samples").json()
    assert [s["name"] for s in listed] == [s["name"] for s in list_samples()]
    response = client.post("/api/v1/datasets/samples/yeast")
    assert response.status_code == 201
    job = worker.run_once()
    assert job is not None
    assert (job.id, job.status) == (response.json()["job_id"], "succeeded")
    dataset = client.get(f"/api/v1/datasets/{response.json()['id']}").json()
    assert (dataset["source"], dataset["n_rows"], dataset["n_columns"]) == (
        "sample:yeast",
        1479,
        9,
    )
    missing = client.post("/api/v1/datasets/samples/titanic")
    assert missing.status_code == 404
    assert "sample dataset 'titanic' does not exist; known samples: credit-g" in str(
        missing.json()
    )


def test_create_sample_dataset_function(store: MetadataStore, artifacts: ArtifactStore) -> None:
    dataset_id, job_id = create_sample_dataset(store, artifacts, "abalone")
    dataset = store.get_dataset(dataset_id)
    assert artifacts.read_bytes(dataset.uri) == (SAMPLES_DIR / "abalone.csv").read_bytes()
    assert store.get_job(job_id).payload == {"dataset_id": dataset_id}


def test_recent_datasets_newest_first(client: TestClient) -> None:
    ids = [upload(client, name=f"f{i}.csv") for i in range(3)]
    recent = client.get("/api/v1/datasets", params={"limit": 2}).json()["items"]
    assert [d["id"] for d in recent] == ids[::-1][:2]


# ----- S3 import ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    with moto_server() as endpoint:
        yield endpoint


def configure(client: TestClient, **changes: object) -> None:
    """Change the running app's settings, as its administrator would on a restart."""
    app: Any = client.app
    app.state.settings = app.state.settings.model_copy(update=changes)


def test_import_from_s3(client: TestClient, worker: Worker, s3_endpoint: str) -> None:
    """The administrator names the endpoint; a request brings only its credentials."""
    import s3fs

    options = s3_options(s3_endpoint)
    fs = s3fs.S3FileSystem(**options)
    bucket = "b" + uuid.uuid4().hex[:12]
    fs.mkdir(bucket)
    fs.pipe(f"{bucket}/data/train.csv", CSV.encode())
    fs.pipe(f"{bucket}/big.csv", b"a\n" + b"1\n" * 200_000)
    url = f"s3://{bucket}/data/train.csv"
    configure(client, object_store_options={"endpoint_url": s3_endpoint})
    credentials = {"key": options["key"], "secret": options["secret"]}
    response = client.post(
        "/api/v1/datasets/import", json={"url": url, "storage_options": credentials}
    )
    assert response.status_code == 201, response.text
    dataset_id = response.json()["id"]
    dataset = client.get(f"/api/v1/datasets/{dataset_id}").json()
    assert (dataset["name"], dataset["source"], dataset["size_bytes"]) == (
        "train.csv",
        url,
        len(CSV),
    )
    assert client.get(f"/api/v1/datasets/{dataset_id}/file").content == CSV.encode()
    assert worker.run_once().status == "succeeded"  # type: ignore[union-attr]

    def refused(body: dict) -> tuple[int, str]:
        answer = client.post(
            "/api/v1/datasets/import", json={"storage_options": credentials, **body}
        )
        return answer.status_code, str(answer.json()["detail"])

    code, detail = refused({"url": f"s3://{bucket}/nope.csv"})
    assert code == 422
    assert "nope.csv' does not exist" in detail
    code, detail = refused({"url": f"s3://{bucket}/big.csv"})
    assert code == 413
    assert "over the limit of 300000" in detail
    assert refused({"url": "file:///etc/passwd.csv"})[0] == 422
    assert refused({"url": f"s3://{bucket}/x.exe"})[0] == 422
    for option in ("protocol", "endpoint_url", "client_kwargs", "anon"):
        bad = client.post(
            "/api/v1/datasets/import", json={"url": url, "storage_options": {option: "x"}}
        )
        assert bad.status_code == 422
        assert bad.json()["detail"][0]["loc"] == ["body", "storage_options", option]
        assert option in bad.json()["detail"][0]["msg"]
    assert len(client.get("/api/v1/datasets").json()["items"]) == 1


def test_credentials_missing_then_given_in_the_request(
    client: TestClient,
    s3_endpoint: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:
    """No credentials: the answer says what is missing and where to set it. Credentials,
    region and an endpoint the administrator allows come with the request, used once."""
    import s3fs

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    bucket = "c" + uuid.uuid4().hex[:12]
    fs = s3fs.S3FileSystem(**s3_options(s3_endpoint))
    fs.mkdir(bucket)
    fs.pipe(f"{bucket}/t.csv", CSV.encode())
    url = f"s3://{bucket}/t.csv"
    configure(client, object_store_endpoints=[s3_endpoint])

    bare = client.post(
        "/api/v1/datasets/import",
        json={"url": url, "storage_options": {"endpoint_url": s3_endpoint}},
    )
    assert bare.status_code == 422, bare.text
    (error,) = bare.json()["detail"]
    assert (error["loc"], error["type"]) == (["body", "storage_options"], "credentials_missing")
    assert "access key" in error["msg"]
    assert "TUNELAB_OBJECT_STORE_OPTIONS" in error["msg"]
    assert "NoCredentialsError" not in error["msg"]

    secret = "s3cr3t-" + uuid.uuid4().hex
    given = {
        "key": "someone",
        "secret": secret,
        "endpoint_url": s3_endpoint,
        "region": "eu-west-1",
    }
    with caplog.at_level("DEBUG"):
        done = client.post("/api/v1/datasets/import", json={"url": url, "storage_options": given})
    assert done.status_code == 201, done.text
    assert secret not in caplog.text  # never logged
    database = (client.app.state.settings.home / "tunelab.db").read_bytes()  # type: ignore[attr-defined]
    assert secret.encode() not in database  # never stored
    other = {**given, "endpoint_url": "http://127.0.0.1:9"}
    refused = client.post("/api/v1/datasets/import", json={"url": url, "storage_options": other})
    assert refused.json()["detail"][0]["loc"] == ["body", "storage_options", "endpoint_url"]


# ----- preview --------------------------------------------------------------------------
def _frame(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "n": np.arange(n),
            "x": np.where(np.arange(n) % 7 == 0, np.nan, rng.normal(size=n).round(3)),
            "city": rng.choice(["서울", "부산"], n),
        }
    )


def _expect(frame: pd.DataFrame, part: pd.DataFrame) -> list[dict]:
    clean = part.astype(object).where(part.notna(), None)
    return [
        {k: (v.item() if hasattr(v, "item") else v) for k, v in r.items()}
        for r in clean.to_dict("records")
    ]


def test_preview_of_csv(client: TestClient) -> None:
    frame = _frame(40)
    dataset_id = upload(client, frame.to_csv(index=False), "p.csv")
    body = client.get(f"/api/v1/datasets/{dataset_id}/preview").json()
    assert body["columns"] == ["n", "x", "city"]
    assert body["n_rows"] == 40
    assert body["head"] == _expect(frame, frame.head(5))
    assert body["tail"] == _expect(frame, frame.tail(5))
    assert body["head"][0]["x"] is None  # NaN comes back as null


def test_preview_of_parquet_reads_the_last_row_groups(
    client: TestClient, artifacts: ArtifactStore, store: MetadataStore, tmp_path: Path
) -> None:
    frame = _frame(1003)
    path = tmp_path / "t.parquet"
    frame.to_parquet(path, row_group_size=500)  # last group holds 3 rows only
    info = artifacts.put_file("datasets/pq/t.parquet", path)
    dataset = store.add_dataset(
        name="t.parquet", source="upload", uri=info.key, size_bytes=info.size, sha256=info.sha256
    )
    body = client.get(f"/api/v1/datasets/{dataset.id}/preview").json()
    assert body["n_rows"] == 1003
    assert [r["n"] for r in body["head"]] == [0, 1, 2, 3, 4]
    assert [r["n"] for r in body["tail"]] == [998, 999, 1000, 1001, 1002]


def test_preview_of_a_large_csv_reads_both_ends(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(preview_module, "FULL_READ_BYTES", 1000)
    monkeypatch.setattr(preview_module, "WINDOW_BYTES", 2000)
    frame = _frame(3000)
    dataset_id = upload(client, frame.to_csv(index=False, sep=";"), "big.csv")
    body = client.get(f"/api/v1/datasets/{dataset_id}/preview").json()
    assert body["columns"] == ["n", "x", "city"]
    assert body["n_rows"] == 3000  # streamed line count before the profile exists
    assert body["head"] == _expect(frame, frame.head(5))
    assert body["tail"] == _expect(frame, frame.tail(5))


# ----- column settings: validation and recommendation ----------------------------------
def test_recommend_fills_settings_from_the_profile(client: TestClient, worker: Worker) -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "income": np.exp(rng.normal(10, 1.5, 300)).round(2),
            "age": np.where(rng.random(300) < 0.1, np.nan, rng.integers(18, 80, 300)),
            "city": rng.choice(["a", "b", "c"], 300),
            "label": rng.choice(["yes", "no"], 300),
        }
    )
    text = frame.to_csv(index=False)
    dataset_id = upload(client, text, "r.csv")
    assert client.post(f"/api/v1/datasets/{dataset_id}/recommend").status_code == 409
    worker.run_once()
    url = f"/api/v1/datasets/{dataset_id}/recommend"
    assert client.post(url, json={"target": "nope"}).status_code == 422
    settings = client.post(url, json={"target": "label"}).json()
    expected = recommend(profile_dataset(frame), "label")
    for name, column in expected.columns.items():
        assert settings[name]["use"] == column.use
        assert settings[name]["imputation"] == column.imputation.value
        assert settings[name]["transformation"] == column.transformation.value
    assert settings["label"]["use"] is False
    assert settings["income"]["transformation"] == "log"  # strongly right-skewed
    assert client.get(f"/api/v1/datasets/{dataset_id}/column-settings").json() == settings


def test_recommendation_proposal_keeps_the_dictionary_and_undoes(
    client: TestClient, worker: Worker
) -> None:
    dataset_id = _profiled(client, worker)
    api = f"/api/v1/datasets/{dataset_id}"
    manual = {"x": {"transformation": "sqrt", "description": "a measure"}}
    before = client.patch(f"{api}/column-settings", json=manual).json()
    proposal = client.get(f"{api}/recommendation").json()["changes"]
    assert {"column", "setting", "current", "proposed"} <= set(proposal[0])
    assert client.get(f"{api}/column-settings").json() == before  # a proposal saves nothing
    applied = client.post(f"{api}/recommend").json()
    assert applied["x"]["description"] == "a measure"
    assert client.post(f"{api}/column-settings/undo").json() == before
    assert client.post(f"{api}/column-settings/undo").status_code == 409


def test_patch_refuses_what_preprocessing_refuses(client: TestClient, worker: Worker) -> None:
    dataset_id = _profiled(client, worker)
    url = f"/api/v1/datasets/{dataset_id}/column-settings"
    bad = client.patch(url, json={"color": {"imputation": "mean"}})
    assert bad.status_code == 422
    (error,) = bad.json()["detail"]
    assert error["loc"] == ["body", "color", "imputation"]
    assert "column 'color' (categorical): imputation 'mean'" in error["msg"]
    unknown = client.patch(url, json={"colour": {"use": False}})
    assert unknown.json()["detail"][0]["loc"] == ["body", "colour"]
    wrong = client.patch(url, json={"x": {"transformation": "cube"}})
    assert wrong.json()["detail"][0]["loc"] == ["body", "x", "transformation"]
    assert client.patch(url, json={"x": {"use": "yes"}}).status_code == 422
    ok = client.patch(url, json={"x": {"transformation": "sqrt", "outliers": "iqr"}})
    assert ok.json() == {"x": {"transformation": "sqrt", "outliers": "iqr"}}
    assert client.get(url).json() == ok.json()  # the refused patches changed nothing


# ----- download and EDA -----------------------------------------------------------------
def test_download_streams_the_stored_file(client: TestClient) -> None:
    dataset_id = upload(client, CSV, "my data.csv")
    response = client.get(f"/api/v1/datasets/{dataset_id}/file")
    assert response.status_code == 200
    assert response.content == CSV.encode()
    assert response.headers["content-disposition"] == 'attachment; filename="my_data.csv"'
    assert response.headers["content-type"].startswith("text/csv")
    assert client.get("/api/v1/datasets/nope/file").status_code == 404


def test_eda_endpoints(client: TestClient, worker: Worker) -> None:
    dataset_id = _profiled(client, worker)
    base = f"/api/v1/datasets/{dataset_id}/eda"
    unknown = client.get(f"{base}/heatmap3d")
    assert unknown.status_code == 404
    assert "'heatmap3d'" in unknown.json()["detail"]
    assert client.get(f"{base}/correlation").status_code == 409
    assert client.get(base).status_code == 409
    assert client.post(base, json={"target": "nope"}).status_code == 422
    queued = client.post(base, json={"target": "label"})
    assert queued.status_code == 202
    job = worker.run_once()
    assert job is not None
    assert (job.id, job.status) == (queued.json()["job_id"], "succeeded")
    manifest = client.get(base).json()
    assert (manifest["target"], manifest["task"], manifest["n_sampled"]) == ("label", "binary", 60)
    for plot, trace in [
        ("correlation", None),
        ("pairplot", None),
        ("parallel_coordinates", "parcoords"),
        ("parallel_categories", "parcats"),
    ]:
        figure = client.get(f"{base}/{plot}").json()
        assert "layout" in figure
        if trace:
            assert figure["data"][0]["type"] == trace
    boxes = client.get(f"{base}/variable", params={"column": "x", "against": True}).json()
    assert [t["name"] for t in boxes["data"]] == ["no", "yes"]
    histogram = client.get(f"{base}/variable", params={"column": "x"}).json()
    assert sum(histogram["data"][0]["y"]) == 60
    assert client.get(f"{base}/variable").status_code == 422
    assert client.get(f"{base}/variable", params={"column": "zzz"}).status_code == 404
    assert (
        client.get(f"{base}/variable", params={"column": "label", "against": True}).status_code
        == 409
    )


# ----- SSRF: a request cannot choose where the server connects --------------------------
@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A TCP listener on 127.0.0.1 that records whether anything connected."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.settimeout(0.5)
    yield sock
    sock.close()


def _received_nothing(sock: socket.socket) -> bool:
    try:
        sock.accept()[0].close()
    except TimeoutError:
        return True
    return False


@pytest.mark.parametrize(
    "options",
    [
        {"endpoint_url": "http://127.0.0.1:{port}"},
        {"client_kwargs": {"endpoint_url": "http://127.0.0.1:{port}"}},
        {"key": "k", "secret": "s", "endpoint_url": "http://127.0.0.1:{port}"},
        {"config_kwargs": {"proxies": {"http": "http://127.0.0.1:{port}"}}},
    ],
)
def test_user_endpoint_is_refused_and_never_contacted(
    client: TestClient, listener: socket.socket, options: dict
) -> None:
    port = listener.getsockname()[1]
    given = json.loads(json.dumps(options).replace("{port}", str(port)))
    for path, url in (
        ("/api/v1/datasets/import", "s3://bucket/data/train.csv"),
        ("/api/v1/models/m-1/export", "s3://bucket/exports/m1"),
    ):
        answer = client.post(path, json={"url": url, "storage_options": given})
        assert answer.status_code == 422, answer.text
        loc = answer.json()["detail"][0]["loc"]
        assert loc[:2] == ["body", "storage_options"]
        assert loc[2] in {"endpoint_url", "client_kwargs", "config_kwargs"}
    assert _received_nothing(listener)


def test_failures_do_not_tell_open_ports_from_closed(client: TestClient) -> None:
    """Refused, silent (timeout) and non-S3 endpoints give one and the same message."""
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    closed_port = closed.getsockname()[1]
    closed.close()
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    talker = socket.socket()
    talker.bind(("127.0.0.1", 0))
    talker.listen(8)
    quick = {"connect_timeout": 1, "read_timeout": 1, "retries": {"max_attempts": 1}}
    messages = []
    try:
        for port in (closed_port, silent.getsockname()[1], talker.getsockname()[1]):
            configure(
                client,
                object_store_options={
                    "endpoint_url": f"http://127.0.0.1:{port}",
                    "key": "k",
                    "secret": "s",
                    "config_kwargs": quick,
                },
            )
            answer = client.post(
                "/api/v1/datasets/import", json={"url": "s3://bucket/data/train.csv"}
            )
            assert answer.status_code == 422
            messages.append(answer.json()["detail"][0]["msg"])
    finally:
        silent.close()
        talker.close()
    assert len(set(messages)) == 1, messages
    assert "could not be reached" in messages[0]
    assert "127.0.0.1" not in messages[0]


def test_buckets_can_be_limited(client: TestClient) -> None:
    configure(client, object_store_buckets=["datasets"])
    answer = client.post("/api/v1/datasets/import", json={"url": "s3://other/x.csv"})
    assert answer.status_code == 422
    assert "bucket 'other'" in answer.json()["detail"][0]["msg"]
    for url in ("s3://a::http://127.0.0.1:1/x.csv", "s3://Bad_Bucket/x.csv"):
        bad = client.post("/api/v1/datasets/import", json={"url": url})
        assert bad.status_code == 422
        assert bad.json()["detail"][0]["loc"] == ["body", "url"]
