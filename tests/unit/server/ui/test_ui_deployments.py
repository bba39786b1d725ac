"""Deployments pages over a real app: list, compare, delete, detail (form defaults, usage,
snippet, pipeline), the history fragment with paging, in English and Korean."""

import re
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
    df = frame()
    return save(
        fit_model("lightgbm", "binary", df), "binary", df, tmp_path_factory.mktemp("b") / "b"
    )


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(
        create_app(ServerSettings(home=tmp_path / "home")), base_url="http://localhost"
    ) as test_client:
        yield test_client


def _deploy(client: TestClient, bundle: Path, name: str = "churn") -> str:
    state = client.app.state  # type: ignore[attr-defined]
    model_id = register(state.store, state.artifacts, bundle, name)
    response = client.post("/api/v1/deployments", json={"model_id": model_id})
    return str(response.json()["id"])


def test_empty_list_in_english_and_korean(client: TestClient) -> None:
    english = client.get("/deployments?lang=en").text
    assert 'data-testid="deployments-empty"' in english
    assert "Nothing is deployed yet" in english
    korean = client.get("/deployments?lang=ko").text
    assert "아직 배포된 모델이 없습니다" in korean


def test_list_compare_and_delete(client: TestClient, bundle: Path) -> None:
    first, second = _deploy(client, bundle, "alpha"), _deploy(client, bundle, "beta")
    page = client.get("/deployments").text
    for deployment_id in (first, second):
        assert f'data-testid="deployment-select-{deployment_id}"' in page
        assert f'action="/deployments/{deployment_id}/delete"' in page
    compared = client.get("/deployments", params=[("compare", first), ("compare", second)]).text
    assert 'data-testid="comparison"' in compared
    assert 'data-testid="compare-metric-valid.r2"' in compared
    assert compared.count("checked") == 2
    missing = client.get("/deployments", params=[("compare", "nope")]).text
    assert 'data-testid="compare-error"' in missing
    assert "nope" in missing
    deleted = client.post(f"/deployments/{first}/delete", follow_redirects=False)
    assert (deleted.status_code, deleted.headers["location"]) == (303, "/deployments")
    page = client.get("/deployments").text
    assert first not in page
    assert second in page


def test_detail_page_defaults_usage_snippet_and_pipeline(client: TestClient, bundle: Path) -> None:
    deployment_id = _deploy(client, bundle)
    page = client.get(f"/deployments/{deployment_id}?lang=en")
    assert page.status_code == 200
    html = page.text
    # the category select defaults to the most frequent value, numbers to the median
    select = re.search(r'<select[^>]*data-testid="field-color".*?</select>', html, re.S)
    assert select is not None
    default = r"<option value=\"\d\" selected data-default=\"true\">red</option>"
    assert re.search(default, select.group(0))
    median = frame()["x"].median()
    # a text box that says it wants a number: a number box would drop "4x5" to 45
    number = re.search(
        r'type="text"[^>]*name="x"[^>]*inputmode="decimal"[^>]*value="([^"]+)"', html
    )
    assert number is not None
    assert float(number.group(1)) == pytest.approx(median, abs=0.01)
    assert f"/api/v1/deployments/{deployment_id}/predict" in html
    assert 'data-testid="usage-curl"' in html
    assert "curl -s -X POST" in html
    assert "load_bundle(BUNDLE)" in html
    assert 'data-testid="pipeline-tree"' in html
    assert "LGBMClassifier" in html
    assert f"/api/v1/deployments/{deployment_id}/bundle" in html
    korean = client.get(f"/deployments/{deployment_id}?lang=ko").text
    assert "예측해 보기" in korean
    assert "REST 사용법" in korean
    # the explanation method: SHAP (additive) by default, LIME on request
    method = re.search(r'<select[^>]*data-testid="explain-method".*?</select>', html, re.S)
    assert method is not None
    assert re.findall(r'<option value="(\w+)"', method.group(0)) == ["shap", "lime"]
    assert "SHAP (additive)" in method.group(0)
    assert "LIME (국소 대리 모델)" in korean


def test_history_fragment_pages_with_explanations(client: TestClient, bundle: Path) -> None:
    deployment_id = _deploy(client, bundle)
    url = f"/api/v1/deployments/{deployment_id}/predict"
    for i in range(12):
        record = {"x": i / 4 - 1, "color": "blue", "size": 2.0}
        assert client.post(url, json={"records": [record]}).status_code == 200
    first = client.get(f"/deployments/{deployment_id}/history").text
    assert first.count('data-testid="history-row"') == 10
    assert 'class="contrib' in first  # top contributions of the explanation
    older = re.search(r'hx-get="([^"]+before_id=\d+)"', first)
    assert older is not None
    rest = client.get(older.group(1)).text
    assert rest.count('data-testid="history-row"') == 2
    assert 'data-testid="history-newest"' in rest
    assert 'data-testid="history-older"' not in rest


def test_unknown_deployment_is_404(client: TestClient) -> None:
    assert client.get("/deployments/nope").status_code == 404
