"""The Monitoring tab over a real app, in English and Korean: drift table with
distributions, performance, alert rules (form), the retrain form."""

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).parents[1]))
from deployment_bundles import fit_model, frame, register, save

from tunelab.server import ServerSettings, create_app


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    df = frame(1500)
    folder = tmp_path_factory.mktemp("b") / "b"
    return save(fit_model("lightgbm", "binary", df), "binary", df, folder)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = ServerSettings(home=tmp_path / "home")
    with TestClient(create_app(settings), base_url="http://localhost") as test_client:
        yield test_client


def _deploy(client: TestClient, bundle: Path) -> str:
    state = client.app.state  # type: ignore[attr-defined]
    model_id = register(state.store, state.artifacts, bundle, "churn")
    return str(client.post("/api/v1/deployments", json={"model_id": model_id}).json()["id"])


def test_monitoring_tab_in_english_and_korean(client: TestClient, bundle: Path) -> None:
    deployment = _deploy(client, bundle)
    detail = client.get(f"/deployments/{deployment}").text
    assert f"/deployments/{deployment}/monitoring" in detail
    rows = frame(600, seed=3)
    rows["color"] = "purple"
    records = rows[["x", "color", "size"]].to_dict("records")
    assert client.post(f"/api/v1/deployments/{deployment}/predict", json={"records": records})
    page = client.get(f"/deployments/{deployment}/monitoring?lang=en")
    assert page.status_code == 200
    assert 'data-testid="drift-row-color"' in page.text
    assert 'data-testid="drift-row-prediction"' in page.text
    assert "purple" in page.text  # an unseen category
    assert "Dataset drift" in page.text or "No dataset drift" in page.text
    assert "Jensen–Shannon distance" in page.text
    assert 'data-testid="performance-table"' in page.text
    assert 'data-testid="dist-x"' in page.text
    korean = client.get(f"/deployments/{deployment}/monitoring?lang=ko").text
    assert "데이터 드리프트" in korean
    assert "재학습" in korean


def test_rule_form_adds_and_refuses(client: TestClient, bundle: Path) -> None:
    deployment = _deploy(client, bundle)
    url = f"/deployments/{deployment}/monitoring/rules"
    form = {"kind": "error_rate", "value": "0.1", "metric": "roc_auc", "column": "x"}
    added = client.post(url, data=form, follow_redirects=False)
    assert added.status_code == 303
    assert "notice=rule_added" in added.headers["location"]
    page = client.get(f"/deployments/{deployment}/monitoring").text
    assert 'data-testid="rule-error_rate"' in page
    rules = client.get(f"/api/v1/deployments/{deployment}/alert-rules").json()["items"]
    assert rules[0]["params"] == {"value": 0.1}  # fields of other kinds are dropped
    refused = client.post(
        url,
        data={"kind": "dataset_drift", "webhook_url": "http://127.0.0.1:9/x"},
        follow_redirects=False,
    )
    assert "error=" in refused.headers["location"]
    shown = client.get(refused.headers["location"]).text
    assert 'data-testid="monitoring-error"' in shown
    assert 'data-testid="rule-dataset_drift"' not in shown


def test_not_enough_data_is_said(client: TestClient, bundle: Path) -> None:
    deployment = _deploy(client, bundle)
    page = client.get(f"/deployments/{deployment}/monitoring").text
    assert "Not enough data" in page
    assert "No predictions logged" in page


def test_retrain_form_on_the_labelled_window(client: TestClient, bundle: Path) -> None:
    import uuid

    import pandas as pd

    state = client.app.state  # type: ignore[attr-defined]
    store, artifacts = state.store, state.artifacts
    train = frame(300, seed=1)
    uploaded = client.post(
        "/api/v1/datasets", files={"file": ("train.csv", train.to_csv(index=False).encode())}
    )
    dataset_id = uploaded.json()["id"]
    experiment = store.create_experiment(dataset_id=dataset_id, target="label")
    prefix = f"models/{uuid.uuid4().hex}"
    artifacts.put_dir(prefix, bundle)
    model = store.add_model(name="churn", uri=prefix, experiment_id=experiment.id)
    deployment = client.post("/api/v1/deployments", json={"model_id": model.id}).json()["id"]
    rows = frame(60, seed=4)
    answer = client.post(
        f"/api/v1/deployments/{deployment}/predict",
        json={"records": rows[["x", "color", "size"]].to_dict("records")},
    ).json()
    state.predictors.log.flush()
    before = client.get(f"/deployments/{deployment}/monitoring?lang=en").text
    assert f'<option value="{dataset_id}" selected>' in before  # no labels yet: a dataset
    labels = [
        {"prediction_id": i, "label": y}
        for i, y in zip(answer["prediction_ids"][:40], rows["label"][:40], strict=True)
    ]
    client.post(f"/api/v1/deployments/{deployment}/labels", json={"labels": labels})
    page = client.get(f"/deployments/{deployment}/monitoring?lang=en").text
    assert "Labelled predictions of this window (40 rows)" in page
    assert f'<option value="{dataset_id}" >' in page  # the window is the default now
    assert 'data-testid="retrain-include"' in page
    korean = client.get(f"/deployments/{deployment}/monitoring?lang=ko").text
    assert "이 기간의 정답이 달린 예측 (40행)" in korean
    form = {"dataset_id": "window", "include_training_data": "true", "start": "", "end": ""}
    posted = client.post(
        f"/deployments/{deployment}/monitoring/retrain", data=form, follow_redirects=False
    )
    assert posted.status_code == 303
    assert "notice=retrain_queued" in posted.headers["location"]
    (item,) = client.get(f"/api/v1/deployments/{deployment}/retrain").json()["items"]
    assert item["status"] == "queued"
    built = store.get_dataset(store.get_experiment(item["experiment_id"]).dataset_id)
    table = pd.read_csv(artifacts.open(built.uri))
    assert len(table) == 340  # the 300 original rows, then the 40 labelled ones
    assert table["label"].tolist()[300:] == rows["label"][:40].tolist()
    too_late = client.post(
        f"/deployments/{deployment}/monitoring/retrain",
        data={**form, "start": "2999-01-01T00:00:00Z"},
        follow_redirects=False,
    )
    assert "error=" in too_late.headers["location"]
