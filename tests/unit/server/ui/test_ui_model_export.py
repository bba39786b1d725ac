"""The Model page's ONNX / MLflow export card, in English and Korean, on a real AutoML bundle."""

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from test_ui_model import _model, app, bundle_dir  # noqa: F401 (fixtures)


def test_convert_card_in_both_languages(app: TestClient, bundle_dir: Path) -> None:  # noqa: F811
    model_id = _model(app, bundle_dir)
    html = app.get(f"/models/{model_id}").text
    for testid in ("convert-onnx", "convert-mlflow", "convert-status", "convert-download"):
        assert f'data-testid="{testid}"' in html
    assert "Export to ONNX" in html
    korean = app.get(f"/models/{model_id}", params={"lang": "ko"}).text
    assert "ONNX로 내보내기" in korean
    assert "MLflow로 내보내기" in korean
    assert "Export to ONNX" not in korean


def test_a_real_automl_bundle_exports_to_onnx(app: TestClient, bundle_dir: Path) -> None:  # noqa: F811
    pytest.importorskip("onnxruntime")
    model_id = _model(app, bundle_dir)
    answer = app.post(f"/api/v1/models/{model_id}/export", json={"format": "onnx"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["max_difference"] <= 1e-4
    assert app.get(f"/api/v1/models/{model_id}/export/onnx").status_code == 200
