"""Deployments beyond predict: explanations, fast path, history, compare, usage, snippets."""

import io
import math
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from deployment_bundles import fit_model, frame, register, save
from fastapi.testclient import TestClient

from tunelab.artifacts import ArtifactStore
from tunelab.bundles import load_bundle
from tunelab.tracking import MetadataStore

RECORDS = [
    {"x": 0.7, "color": "blue", "size": 3.0},
    {"x": -1.2, "color": "red", "size": 8.0},
    {"x": 0.1, "color": "green", "size": None},
]


@pytest.fixture(scope="module")
def bundles(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    df = frame()
    root = tmp_path_factory.mktemp("bundles")
    out = {}
    for kind, task in (
        ("lightgbm", "regression"),
        ("lightgbm", "binary"),
        ("linear", "regression"),
    ):
        out[f"{kind}-{task}"] = save(fit_model(kind, task, df), task, df, root / f"{kind}-{task}")
    return out


def _deploy(
    client: TestClient, store: MetadataStore, artifacts: ArtifactStore, folder: Path
) -> str:
    model_id = register(store, artifacts, folder, folder.name)
    response = client.post("/api/v1/deployments", json={"model_id": model_id})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _predict(client: TestClient, deployment_id: str, records: list, explain: bool = False) -> Any:
    url = f"/api/v1/deployments/{deployment_id}/predict"
    response = client.post(url, params={"explain": explain}, json={"records": records})
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize(
    ("name", "method"), [("lightgbm", "tree_shap"), ("linear", "linear_shap")]
)
def test_shap_contributions_sum_to_prediction_minus_base_value(
    client: TestClient,
    store: MetadataStore,
    artifacts: ArtifactStore,
    bundles: dict[str, Path],
    name: str,
    method: str,
) -> None:
    deployment_id = _deploy(client, store, artifacts, bundles[f"{name}-regression"])
    body = _predict(client, deployment_id, RECORDS, explain=True)
    assert "explanations" not in _predict(client, deployment_id, RECORDS)
    for prediction, ex in zip(body["predictions"], body["explanations"], strict=True):
        assert ex["method"] == method
        assert ex["additive"] is True
        # contributions of the ORIGINAL columns (one-hot blocks summed back to 'color')
        assert set(ex["contributions"]) == {"x", "color", "size"}
        total = ex["base_value"] + sum(ex["contributions"].values())
        assert total == pytest.approx(prediction, rel=1e-6, abs=1e-6)
        assert ex["output"] == pytest.approx(prediction, rel=1e-6, abs=1e-6)
    # x drives y (3x), so it dominates the first record's explanation
    first = body["explanations"][0]["contributions"]
    assert abs(first["x"]) > abs(first["size"])


def test_binary_tree_explanation_is_in_log_odds_of_the_positive_class(
    client: TestClient, store: MetadataStore, artifacts: ArtifactStore, bundles: dict[str, Path]
) -> None:
    deployment_id = _deploy(client, store, artifacts, bundles["lightgbm-binary"])
    body = _predict(client, deployment_id, RECORDS, explain=True)
    for proba, ex in zip(body["probabilities"], body["explanations"], strict=True):
        assert ex["class"] == "yes"
        assert ex["space"] == "log_odds"
        margin = ex["base_value"] + sum(ex["contributions"].values())
        assert 1 / (1 + math.exp(-margin)) == pytest.approx(proba["yes"], rel=1e-6)


def test_fast_path_answers_like_the_bundle_and_maps_unseen_values(
    client: TestClient, store: MetadataStore, artifacts: ArtifactStore, bundles: dict[str, Path]
) -> None:
    folder = bundles["lightgbm-binary"]
    deployment_id = _deploy(client, store, artifacts, folder)
    _predict(client, deployment_id, RECORDS[:1])
    predictor = client.app.state.predictors.get(deployment_id)  # type: ignore[attr-defined]
    assert predictor.plan is not None
    bundle = load_bundle(folder)
    rng = np.random.default_rng(1)
    records = [
        {"x": float(rng.normal()), "color": str(rng.choice(["red", "blue", "green"])), "size": 4}
        for _ in range(20)
    ]
    records += [
        {"x": 0.3, "color": "purple", "size": 2.0},
        {"x": "0.3", "color": "red", "size": 1},
    ]
    for record in records:
        got = _predict(client, deployment_id, [record])
        want = bundle.predict_proba(pd.DataFrame.from_records([record]))["yes"].iloc[0]
        assert got["probabilities"][0]["yes"] == pytest.approx(want, rel=1e-9, abs=1e-12)
    for record in records[-2:]:  # unseen category, a string for a number: still fast
        fast = predictor.plan.predict([record])
        assert fast is not None
        want = bundle.predict_proba(pd.DataFrame.from_records([record])).to_numpy()
        np.testing.assert_allclose(fast, want, rtol=1e-9, atol=1e-12)
    # a value validation refuses leaves the fast path (the generic path reports it)
    assert predictor.plan.predict([{"x": "tall", "color": "red", "size": 1}]) is None


@pytest.mark.parametrize(
    ("record", "field", "kind"),
    [
        ({"x": 1.0, "size": 2.0}, "color", "missing"),
        ({"x": "tall", "color": "red", "size": 2.0}, "x", "schema"),
        ({"x": 1.0, "color": "red", "size": 2.0, "weight": 3}, "weight", "extra"),
    ],
)
def test_bad_fields_are_422_naming_the_field(
    client: TestClient,
    store: MetadataStore,
    artifacts: ArtifactStore,
    bundles: dict[str, Path],
    record: dict,
    field: str,
    kind: str,
) -> None:
    deployment_id = _deploy(client, store, artifacts, bundles["lightgbm-regression"])
    url = f"/api/v1/deployments/{deployment_id}/predict"
    response = client.post(url, json={"records": [record]})
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"][-1] == field
    assert error["type"] == kind
    assert field in error["msg"] or kind != "schema"


def test_history_pages_carry_explanations(
    client: TestClient, store: MetadataStore, artifacts: ArtifactStore, bundles: dict[str, Path]
) -> None:
    deployment_id = _deploy(client, store, artifacts, bundles["lightgbm-regression"])
    for x in (1.0, 2.0, 3.0, 4.0, 5.0):
        _predict(client, deployment_id, [{"x": x, "color": "red", "size": 1.0}])
    client.app.state.predictors.log.flush()  # type: ignore[attr-defined]
    url = f"/api/v1/deployments/{deployment_id}/predictions"
    seen: list[float] = []
    before = None
    while True:
        params = {"limit": 2} if before is None else {"limit": 2, "before_id": before}
        page = client.get(url, params=params).json()
        if not page:
            break
        for item in page:
            seen.append(item["inputs"][0]["x"])
            (row,) = item["explanation"]["rows"]
            total = row["base_value"] + sum(row["contributions"].values())
            assert total == pytest.approx(item["outputs"]["predictions"][0], rel=1e-6, abs=1e-6)
        before = page[-1]["id"]
    assert seen == [5.0, 4.0, 3.0, 2.0, 1.0]


def test_compare_several_deployments(
    client: TestClient, store: MetadataStore, artifacts: ArtifactStore, bundles: dict[str, Path]
) -> None:
    a = _deploy(client, store, artifacts, bundles["lightgbm-regression"])
    b = _deploy(client, store, artifacts, bundles["linear-regression"])
    _predict(client, a, RECORDS[:1])
    client.app.state.predictors.log.flush()  # type: ignore[attr-defined]
    body = client.get("/api/v1/deployments/compare", params={"ids": f"{a},{b}"}).json()
    assert [item["deployment"]["id"] for item in body["items"]] == [a, b]
    assert "valid.r2" in body["metric_names"]
    assert body["items"][0]["metrics"]["valid.r2"] == pytest.approx(0.9)
    assert body["items"][0]["stats"]["count"] == 1
    assert body["items"][1]["stats"]["count"] == 0
    assert body["items"][0]["stats"]["latency_p50_ms"] > 0
    missing = client.get("/api/v1/deployments/compare", params={"ids": f"{a},nope"})
    assert missing.status_code == 404
    assert client.get("/api/v1/deployments/compare").status_code == 422


def test_usage_example_body_holds_the_most_frequent_values(
    client: TestClient, store: MetadataStore, artifacts: ArtifactStore, bundles: dict[str, Path]
) -> None:
    deployment_id = _deploy(client, store, artifacts, bundles["lightgbm-regression"])
    usage = client.get(f"/api/v1/deployments/{deployment_id}/usage").json()
    assert usage["method"] == "POST"
    assert usage["url"].endswith(f"/api/v1/deployments/{deployment_id}/predict")
    (record,) = usage["example_body"]["records"]
    df = frame()
    assert record["color"] == df["color"].mode()[0] == "red"
    assert record["x"] == pytest.approx(df["x"].median(), abs=0.01)
    assert usage["url"] in usage["curl"]
    assert '"color": "red"' in usage["curl"]
    # the example body is accepted as is
    assert client.post(usage["url"], json=usage["example_body"]).status_code == 200


def test_python_snippet_runs_against_the_downloaded_bundle(
    client: TestClient,
    store: MetadataStore,
    artifacts: ArtifactStore,
    bundles: dict[str, Path],
    tmp_path: Path,
) -> None:
    deployment_id = _deploy(client, store, artifacts, bundles["lightgbm-binary"])
    download = client.get(f"/api/v1/deployments/{deployment_id}/bundle")
    assert download.status_code == 200
    with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
        archive.extractall(tmp_path / "model_bundle")
    snippet = client.get(f"/api/v1/deployments/{deployment_id}/snippet", params={"lang": "python"})
    script = tmp_path / "predict.py"
    script.write_text(snippet.text)
    run = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    usage = client.get(f"/api/v1/deployments/{deployment_id}/usage").json()
    expected = _predict(client, deployment_id, usage["example_body"]["records"])
    assert f"predictions: ['{expected['predictions'][0]}']" in run.stdout
    assert f"{expected['probabilities'][0]['yes']:.4f}"[:5] in run.stdout
    curl = client.get(f"/api/v1/deployments/{deployment_id}/snippet", params={"lang": "curl"})
    assert curl.text.startswith("curl -s -X POST")
    assert usage["url"] in curl.text
    bad = client.get(f"/api/v1/deployments/{deployment_id}/snippet", params={"lang": "cobol"})
    assert bad.status_code == 422
    (error,) = bad.json()["detail"]
    assert error["loc"] == ["query", "lang"]
    assert "cobol" in error["msg"]


def test_weighted_ensembles_are_explained_additively_and_by_lime(
    store: MetadataStore, artifacts: ArtifactStore, tmp_path: Path, client: TestClient
) -> None:
    from tunelab.ensembling._estimators import WeightedEnsemble

    df = frame()
    members = [fit_model("lightgbm", "regression", df), fit_model("linear", "regression", df)]
    ensemble = WeightedEnsemble(members=members, weights=[0.5, 0.5]).fit()
    deployment_id = _deploy(
        client, store, artifacts, save(ensemble, "regression", df, tmp_path / "e")
    )
    usage = client.get(f"/api/v1/deployments/{deployment_id}/usage").json()
    reference = usage["example_body"]["records"][0]
    body = _predict(client, deployment_id, [reference], explain=True)
    (ex,) = body["explanations"]
    assert ex["method"] == "ensemble_shap"
    assert ex["space"] == "value"
    assert ex["additive"] is True
    assert ex["output"] == pytest.approx(body["predictions"][0], rel=1e-9)
    total = ex["base_value"] + sum(ex["contributions"].values())
    assert total == pytest.approx(ex["output"], rel=1e-9)
    # the form's defaults (the typical record) no longer explain to all zeros
    assert any(abs(v) > 1e-6 for v in ex["contributions"].values())
    url = f"/api/v1/deployments/{deployment_id}/predict"
    lime = client.post(
        url, params={"explain": True, "method": "lime"}, json={"records": [reference]}
    )
    assert lime.status_code == 200, lime.text
    (lx,) = lime.json()["explanations"]
    assert lx["method"] == "lime"
    assert lx["additive"] is False
    assert lx["output"] == pytest.approx(body["predictions"][0], rel=1e-9)
    assert set(lx["contributions"]) == {"x", "color", "size"}
    bad = client.post(
        url, params={"explain": True, "method": "anchors"}, json={"records": [reference]}
    )
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["query", "method"]
