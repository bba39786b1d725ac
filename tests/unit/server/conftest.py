"""An app on a temporary home, a worker to run its jobs, and a small real model bundle."""

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from tunelab.artifacts import ArtifactStore
from tunelab.jobs import Worker, default_handlers
from tunelab.server import ServerSettings, create_app
from tunelab.tracking import MetadataStore

CSV = "x,color,label\n" + "".join(
    f"{i / 10},{'red' if i % 3 else 'blue'},{'yes' if i % 2 else 'no'}\n" for i in range(60)
)


@pytest.fixture
def settings(tmp_path: Path) -> ServerSettings:
    return ServerSettings(home=tmp_path / "home", max_upload_bytes=50_000, sse_poll_seconds=0.05)


@pytest.fixture
def client(settings: ServerSettings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
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


def upload(client: TestClient, text: str = CSV, name: str = "train.csv") -> str:
    response = client.post("/api/v1/datasets", files={"file": (name, text.encode())})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


@pytest.fixture
def model_id(store: MetadataStore, artifacts: ArtifactStore, tmp_path: Path) -> str:
    return save_test_bundle(store, artifacts, tmp_path)


def save_test_bundle(store: MetadataStore, artifacts: ArtifactStore, tmp_path: Path) -> str:
    """A fitted classifier (label: x > 0; input x and color) stored as a real bundle + model."""
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    from tunelab.bundles import save_bundle

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"x": rng.normal(size=80), "color": rng.choice(["red", "blue"], 80)})
    y = (X["x"] > 0).astype(int).to_numpy()
    pipeline = Pipeline(
        [
            (
                "prep",
                ColumnTransformer(
                    [("cat", OneHotEncoder(handle_unknown="ignore"), ["color"])],
                    remainder="passthrough",
                ),
            ),
            ("model", LogisticRegression()),
        ]
    ).fit(X, y)
    folder = save_bundle(
        tmp_path / "bundle",
        pipeline,
        task="binary",
        target="label",
        classes=["no", "yes"],
        feature_columns=["x", "color"],
        input_schema=X,
    )
    artifacts.put_dir("models/test-model", folder)
    return store.add_model(name="logreg", uri="models/test-model", task="binary").id
