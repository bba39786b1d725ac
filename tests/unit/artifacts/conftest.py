"""Artifact stores under test: a local folder and a real S3 server (moto) on loopback."""

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from moto_s3 import moto_server, s3_options

from tunelab.artifacts import ArtifactStore


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture(params=["local", "s3"])
def artifacts(request: pytest.FixtureRequest, tmp_path: Path) -> ArtifactStore:
    if request.param == "local":
        return ArtifactStore(str(tmp_path / "artifacts"))
    options = s3_options(request.getfixturevalue("s3_endpoint"))
    bucket = "b" + uuid.uuid4().hex[:12]
    store = ArtifactStore(f"s3://{bucket}/team", options)
    store.fs.mkdir(bucket)
    return store
