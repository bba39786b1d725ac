"""The deployment page's traffic editor card (routes, shadows, sticky) in English and Korean."""

from fastapi.testclient import TestClient


def test_traffic_card_in_both_languages(client: TestClient, model_id: str) -> None:
    deployment = client.post("/api/v1/deployments", json={"model_id": model_id}).json()["id"]
    html = client.get(f"/deployments/{deployment}").text
    for testid in (
        "traffic-card",
        "traffic-routes",
        "traffic-add-route",
        "traffic-shadows",
        "traffic-add-shadow",
        "traffic-sticky",
        "traffic-save",
    ):
        assert f'data-testid="{testid}"' in html
    assert f"/api/v1/deployments/{deployment}/traffic" in html
    assert "/ui/static/traffic.js" in html
    assert "Save traffic" in html
    korean = client.get(f"/deployments/{deployment}", params={"lang": "ko"}).text
    assert "트래픽 저장" in korean
    assert "섀도 추가" in korean
    assert "Save traffic" not in korean
    assert client.get("/ui/static/traffic.js").status_code == 200
