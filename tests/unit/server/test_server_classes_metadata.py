"""``GET /experiments/{id}/classes`` answers from the stored profile, never reading the data."""

import pytest
from fastapi.testclient import TestClient
from server_helpers import upload

from tunelab.artifacts import ArtifactStore
from tunelab.jobs import Worker
from tunelab.tracking import MetadataStore

TABLE = "code,amount,label\n" + "".join(
    f"{i % 3},{i * 7 % 50 + 0.5},{'yes' if i % 2 else 'no'}\n" for i in range(90)
)


@pytest.fixture
def dataset_id(client: TestClient, worker: Worker) -> str:
    dataset_id = upload(client, TABLE, "t.csv")
    while worker.run_once():  # the profile job
        pass
    return dataset_id


@pytest.mark.parametrize(
    ("target", "task", "counts"),
    [
        ("code", "multiclass", {"0": 30, "1": 30, "2": 30}),
        ("amount", "regression", {}),
        ("label", "binary", {"no": 45, "yes": 45}),
    ],
)
def test_classes_come_from_the_profile(
    client: TestClient,
    store: MetadataStore,
    artifacts: ArtifactStore,
    dataset_id: str,
    target: str,
    task: str,
    counts: dict[str, int],
) -> None:
    created = client.post(
        "/api/v1/experiments", json={"dataset_id": dataset_id, "name": "e", "target": target}
    )
    assert created.status_code == 201, created.text
    artifacts.delete(store.get_dataset(dataset_id).uri)  # reading the data would now fail
    got = client.get(f"/api/v1/experiments/{created.json()['id']}/classes")
    assert got.status_code == 200, got.text
    body = got.json()
    assert (body["task"], body["counts"], body["n_rows"]) == (task, counts, 90)
