"""A clustering bundle deployed through the REST API answers what ``tunelab predict`` writes."""

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from deployment_bundles import register
from fastapi.testclient import TestClient
from typer.testing import CliRunner

import tunelab
from tunelab.artifacts import ArtifactStore
from tunelab.cli._app import build_app
from tunelab.tracking import MetadataStore

sys.path.insert(0, str(Path(__file__).parents[1] / "clustering"))
from cluster_frames import blobs


@pytest.fixture(scope="module")
def bundles(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A k-means and a Gaussian mixture bundle (the mixture also gives memberships)."""
    frame = blobs(n_rows=120, centers=3).drop(columns=["truth"])
    root = tmp_path_factory.mktemp("cluster-bundles")
    out = {}
    for algorithm in ("kmeans", "gaussian_mixture"):
        engine = tunelab.ClusteringAutoML(
            n_clusters=3, algorithms=[algorithm], max_candidates=2, time_budget=20, seed=0
        ).fit(frame)
        out[algorithm] = engine.save(root / algorithm)
    return out


def _records(n: int = 12) -> list[dict[str, Any]]:
    frame = blobs(n_rows=60, centers=3, seed=5).drop(columns=["truth"]).head(n)
    records = frame.to_dict(orient="records")
    return [
        {k: None if isinstance(v, float) and np.isnan(v) else v for k, v in r.items()}
        for r in records
    ]


@pytest.mark.parametrize("algorithm", ["kmeans", "gaussian_mixture"])
def test_rest_predicts_the_cli_clusters(
    algorithm: str,
    bundles: dict[str, Path],
    client: TestClient,
    store: MetadataStore,
    artifacts: ArtifactStore,
    tmp_path: Path,
) -> None:
    folder = bundles[algorithm]
    model_id = register(store, artifacts, folder, algorithm)
    response = client.post("/api/v1/deployments", json={"model_id": model_id})
    assert response.status_code == 201, response.text
    deployment_id = response.json()["id"]
    records = _records()
    answer = client.post(f"/api/v1/deployments/{deployment_id}/predict", json={"records": records})
    assert answer.status_code == 200, answer.text
    body = answer.json()

    data = tmp_path / "new.csv"
    pd.DataFrame.from_records(records).to_csv(data, index=False)
    out = tmp_path / "clusters.csv"
    result = CliRunner().invoke(
        build_app(), ["predict", str(folder), str(data), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    expected = pd.read_csv(out)

    assert body["predictions"] == expected["cluster"].tolist()
    assert all(type(v) is int for v in body["predictions"])
    assert len(set(body["predictions"])) > 1
    distances = np.array(body["distances"])
    np.testing.assert_allclose(distances, expected.filter(like="distance_").to_numpy(), rtol=1e-6)
    if algorithm == "gaussian_mixture":
        proba = pd.DataFrame(body["probabilities"])
        assert list(proba.columns) == ["0", "1", "2"]
        np.testing.assert_allclose(
            proba.to_numpy(), expected.filter(like="proba_").to_numpy(), rtol=1e-6, atol=1e-9
        )
    else:
        assert body.get("probabilities") is None
    # the stored history holds the answer; explanations are refused, not faked
    client.app.state.predictors.log.flush()  # type: ignore[attr-defined]
    history = client.get(f"/api/v1/deployments/{deployment_id}/predictions")
    assert history.status_code == 200, history.text
    assert [h["outputs"]["predictions"] for h in history.json()] == [body["predictions"]]
    explained = client.post(
        f"/api/v1/deployments/{deployment_id}/predict",
        params={"explain": True},
        json={"records": records[:2]},
    )
    assert explained.status_code == 422
    assert "clustering" in explained.text


def test_a_missing_column_is_refused(
    bundles: dict[str, Path], client: TestClient, store: MetadataStore, artifacts: ArtifactStore
) -> None:
    model_id = register(store, artifacts, bundles["kmeans"], "km")
    deployment_id = client.post("/api/v1/deployments", json={"model_id": model_id}).json()["id"]
    record = _records(1)[0]
    record.pop("x1")
    answer = client.post(
        f"/api/v1/deployments/{deployment_id}/predict", json={"records": [record]}
    )
    assert answer.status_code == 422
    assert "x1" in answer.text


def test_open_inference_protocol_answers_integer_clusters(
    bundles: dict[str, Path], client: TestClient, store: MetadataStore, artifacts: ArtifactStore
) -> None:
    model_id = register(store, artifacts, bundles["kmeans"], "km")
    created = client.post("/api/v1/deployments", json={"model_id": model_id, "name": "segments"})
    assert created.status_code == 201, created.text
    records = _records(7)[1:]  # rows without a missing value
    native = client.post(
        f"/api/v1/deployments/{created.json()['id']}/predict", json={"records": records}
    ).json()
    meta = client.get("/v2/models/segments").json()
    assert meta["outputs"] == [{"name": "predict", "datatype": "INT64", "shape": [-1]}]
    inputs = [
        {
            "name": name,
            "datatype": "BYTES" if name == "shade" else "FP64",
            "shape": [len(records)],
            "data": [r[name] for r in records],
        }
        for name in records[0]
    ]
    answer = client.post("/v2/models/segments/infer", json={"inputs": inputs})
    assert answer.status_code == 200, answer.text
    (predict,) = answer.json()["outputs"]
    assert (predict["datatype"], predict["data"]) == ("INT64", native["predictions"])
