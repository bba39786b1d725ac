"""Deploying a real bundle and predicting over HTTP, with field-level 422s."""

import pytest
from fastapi.testclient import TestClient

from tunelab.tracking import MetadataStore


@pytest.fixture
def deployment_id(client: TestClient, model_id: str) -> str:
    response = client.post("/api/v1/deployments", json={"model_id": model_id})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def test_predict_one_and_many_rows(client: TestClient, deployment_id: str) -> None:
    url = f"/api/v1/deployments/{deployment_id}/predict"
    one = client.post(url, json={"records": [{"x": 2.0, "color": "blue"}]})
    assert one.status_code == 200, one.text
    body = one.json()
    assert body["predictions"] == ["yes"]  # the label is x > 0
    (proba,) = body["probabilities"]
    assert set(proba) == {"no", "yes"}
    assert proba["yes"] > 0.5
    assert proba["no"] + proba["yes"] == pytest.approx(1.0)
    records = [{"x": -2.0, "color": "blue"}, {"x": 2.0, "color": "red"}, {"x": -2, "color": "red"}]
    many = client.post(url, json={"records": records}).json()
    assert many["predictions"] == ["no", "yes", "no"]
    assert len(many["probabilities"]) == 3


def test_the_answer_says_which_values_the_model_filled_in(
    client: TestClient, deployment_id: str
) -> None:
    url = f"/api/v1/deployments/{deployment_id}/predict"
    records = [{"x": 1.0, "color": None}, {"x": 1.0, "color": "red"}]
    body = client.post(url, json={"records": records}).json()
    assert body["filled_in"] == [["color"], []]
    complete = client.post(url, json={"records": [{"x": 1.0, "color": "red"}]}).json()
    assert "filled_in" not in complete


@pytest.mark.parametrize(
    ("record", "loc", "kind"),
    [
        ({"x": 1.0}, ["body", "records", 0, "color"], "missing"),
        ({"x": "4x5", "color": "red"}, ["body", "records", "x"], "schema"),
        ({"x": "abc", "color": "red"}, ["body", "records", "x"], "schema"),
        ({"x": 1.0, "color": "red", "size": 3}, ["body", "records", 0, "size"], "extra"),
        ({"x": "tall", "color": "red"}, ["body", "records", "x"], "schema"),
    ],
)
def test_bad_records_are_422_naming_the_field(
    client: TestClient, deployment_id: str, record: dict, loc: list, kind: str
) -> None:
    url = f"/api/v1/deployments/{deployment_id}/predict"
    response = client.post(url, json={"records": [record]})
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert (error["loc"], error["type"]) == (loc, kind)
    assert str(loc[-1]) in error["msg"] or kind != "schema"


def test_bad_bodies_and_unknown_ids(client: TestClient, deployment_id: str) -> None:
    url = f"/api/v1/deployments/{deployment_id}/predict"
    assert client.post(url, json={"rows": []}).json()["detail"][0]["loc"] == ["body", "records"]
    assert client.post(url, json={"records": []}).status_code == 422
    missing = client.post("/api/v1/deployments/nope/predict", json={"records": [{"x": 1}]})
    assert missing.status_code == 404
    assert client.post("/api/v1/deployments", json={"model_id": "nope"}).status_code == 404


def test_predictions_are_stored_in_a_paged_history(client: TestClient, deployment_id: str) -> None:
    url = f"/api/v1/deployments/{deployment_id}/predict"
    for x in (1.0, 2.0, 3.0):
        assert client.post(url, json={"records": [{"x": x, "color": "red"}]}).status_code == 200
    client.app.state.predictors.log.flush()  # type: ignore[attr-defined]
    history = client.get(f"/api/v1/deployments/{deployment_id}/predictions", params={"limit": 2})
    page = history.json()
    assert [p["inputs"][0]["x"] for p in page] == [3.0, 2.0]
    assert page[0]["outputs"]["predictions"] == ["yes"]
    rest = client.get(
        f"/api/v1/deployments/{deployment_id}/predictions", params={"before_id": page[-1]["id"]}
    ).json()
    assert [p["inputs"][0]["x"] for p in rest] == [1.0]


def test_deleting_a_deployed_model_is_refused_unless_cascading(
    client: TestClient, deployment_id: str, model_id: str, store: MetadataStore
) -> None:
    refused = client.delete(f"/api/v1/models/{model_id}")
    assert refused.status_code == 409
    assert deployment_id in refused.json()["detail"]
    assert client.delete(f"/api/v1/models/{model_id}", params={"cascade": True}).status_code == 204
    assert client.get(f"/api/v1/deployments/{deployment_id}").status_code == 404
    assert client.get(f"/api/v1/models/{model_id}").status_code == 404
    gone = client.post(
        f"/api/v1/deployments/{deployment_id}/predict", json={"records": [{"x": 1, "color": "r"}]}
    )
    assert gone.status_code == 404


def test_listing_and_versions(client: TestClient, model_id: str) -> None:
    first = client.post("/api/v1/deployments", json={"model_id": model_id}).json()["id"]
    second = client.post("/api/v1/deployments", json={"model_id": model_id}).json()["id"]
    items = client.get("/api/v1/deployments", params={"model_id": model_id}).json()["items"]
    assert {d["id"]: d["version"] for d in items} == {first: 1, second: 2}
    assert client.get(f"/api/v1/models/{model_id}").json()["name"] == "logreg"
    assert client.delete(f"/api/v1/deployments/{first}").status_code == 204
