"""The same service on PostgreSQL and S3 (both real servers on loopback)."""

import json
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from platform_helpers import Server, make_csv

UNIT = Path(__file__).parents[2] / "unit"
sys.path[:0] = [str(UNIT / "tracking"), str(UNIT / "artifacts")]

from moto_s3 import moto_server, s3_options  # noqa: E402
from pg_server import create_database, postgres_server  # noqa: E402

from tunelab.artifacts import ArtifactStore  # noqa: E402


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    with postgres_server() as url:
        yield create_database(url)


@pytest.fixture(scope="module")
def s3() -> Iterator[tuple[str, dict[str, object]]]:
    with moto_server() as endpoint:
        options = s3_options(endpoint)
        bucket = "b" + uuid.uuid4().hex[:10]
        ArtifactStore(f"s3://{bucket}", options).fs.mkdir(bucket)
        yield f"s3://{bucket}/team", options


@pytest.mark.slow
def test_postgres_and_s3_backends(
    serve: Server, tmp_path: Path, pg_url: str, s3: tuple[str, dict[str, object]]
) -> None:
    artifacts_url, options = s3
    env = {"TUNELAB_ARTIFACTS_OPTIONS": json.dumps(options)}
    client = serve("--no-sample", "--db", pg_url, "--artifacts", artifacts_url, env=env)
    assert client.health()["database"] == "postgresql"
    dataset_id = client.upload_dataset(make_csv(tmp_path / "train.csv", n=120))
    (job,) = client._call("GET", "/jobs")["items"]
    assert client.wait_job(job["id"], timeout=120)["status"] == "succeeded"
    assert client.get_dataset(dataset_id)["n_rows"] == 120
    store = ArtifactStore(artifacts_url, options)
    assert store.list("datasets") == [f"datasets/{dataset_id}/train.csv"]
    assert (
        store.read_bytes(f"datasets/{dataset_id}/train.csv")
        == (tmp_path / "train.csv").read_bytes()
    )

    experiment_id = client.create_experiment(
        dataset_id, "label", time_budget=30, max_trials=2, algorithms=["logistic_regression"]
    )
    client.start_experiment(experiment_id)
    done = client.wait_experiment(experiment_id, timeout=300)
    assert done["status"] == "finished", done["error"]
    model = client.get_model(done["best_model_id"])
    assert store.exists(f"models/{model['id']}/manifest.json")
    deployment_id = client.deploy(model["id"])
    out = client.predict(deployment_id, [{"x": 3.0, "color": "blue"}])
    assert out["predictions"] == ["yes"]
