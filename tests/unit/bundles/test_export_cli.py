"""``tunelab export MODEL_DIR --format onnx|mlflow --out PATH``."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bundles.export_models import FEATURES, fit_ensemble, frame, save
from tunelab.cli._app import build_app


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = frame(200)
    root = tmp_path_factory.mktemp("cli")
    return save(fit_ensemble("binary", data, kinds=("linear",)), "binary", data, root / "b")


def _run(*args: str) -> object:
    return CliRunner().invoke(build_app(), ["export", *args])


def test_export_onnx_with_given_rows(bundle: Path, tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime")
    rows = tmp_path / "rows.csv"
    frame(120, seed=4)[FEATURES].to_csv(rows, index=False)
    result = _run(
        str(bundle), "--format", "onnx", "--out", str(tmp_path / "m.onnx"), "--data", str(rows)
    )
    assert result.exit_code == 0, result.output
    assert "parity on 120 given rows" in result.output
    assert (tmp_path / "m.onnx").stat().st_size > 0


def test_export_mlflow(bundle: Path, tmp_path: Path) -> None:
    result = _run(str(bundle), "--format", "mlflow", "--out", str(tmp_path / "mlf"))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "mlf" / "MLmodel").is_file()


def test_errors_exit_1_with_the_reason(bundle: Path, tmp_path: Path) -> None:
    missing = _run(str(tmp_path / "nope"), "--format", "onnx", "--out", str(tmp_path / "m.onnx"))
    assert missing.exit_code == 1
    assert "no bundle folder" in missing.output
    odd = _run(str(bundle), "--format", "pmml", "--out", str(tmp_path / "m"))
    assert odd.exit_code == 2
    assert "pmml" in odd.output
