"""Export a model to ONNX or MLflow on the server: convert, store, report, download."""

from __future__ import annotations

import io
import json
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from tunelab.artifacts import ArtifactStore
from tunelab.entities import ExportError, artifact_keys
from tunelab.entities.platform import Model, NotFoundError
from tunelab.server.models.service import bundle_dir

FORMATS = ("onnx", "mlflow")
MEDIA_TYPES = {"onnx": "application/octet-stream", "mlflow": "application/zip"}


def download_name(model: Model, fmt: str) -> str:
    return (
        f"tunelab-model-{model.id}.onnx"
        if fmt == "onnx"
        else f"tunelab-model-{model.id}-mlflow.zip"
    )


def export_model_format(
    artifacts: ArtifactStore, model: Model, fmt: str, cache_dir: Path, *, quantize: bool = False
) -> dict[str, Any]:
    """Convert the model's bundle to ``fmt``, store the artifact and its report, return it.

    Raises ExportError (a step without converter, or failed parity) before storing anything.
    """
    from tunelab.bundles import export_mlflow, export_onnx

    source = bundle_dir(artifacts, model, cache_dir)
    with tempfile.TemporaryDirectory(prefix="tunelab-export-") as tmp:
        if fmt == "onnx":
            result = export_onnx(source, Path(tmp) / "model.onnx", quantize=quantize)
            report: dict[str, Any] = result.to_dict()
            report.pop("path")
            artifacts.put_file(artifact_keys.export_key(model.id, fmt), result.path)
        else:
            if quantize:
                raise ExportError("quantize applies to the onnx format only")
            folder = export_mlflow(source, Path(tmp) / "mlflow")
            data = _zip_folder(folder)
            artifacts.put_bytes(artifact_keys.export_key(model.id, fmt), data)
            report = {"size_bytes": len(data), "files": sorted(_names(folder))}
    report = {"format": fmt, "model_id": model.id, **report}
    report["download_url"] = f"/api/v1/models/{model.id}/export/{fmt}"
    artifacts.put_bytes(
        artifact_keys.export_report_key(model.id, fmt), json.dumps(report).encode()
    )
    return report


def _names(folder: Path) -> list[str]:
    return [str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()]


def _zip_folder(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(_names(folder)):
            archive.write(folder / name, name)
    return buffer.getvalue()


def exported_report(artifacts: ArtifactStore, model: Model, fmt: str) -> dict[str, Any]:
    key = artifact_keys.export_report_key(model.id, fmt)
    if not artifacts.exists(key):
        raise NotFoundError(
            f"model {model.id} has no {fmt} export yet: POST /api/v1/models/{model.id}/export "
            f'{{"format": "{fmt}"}} makes one'
        )
    report: dict[str, Any] = json.loads(artifacts.read_bytes(key))
    return report


def delete_exports(artifacts: ArtifactStore, model_id: str) -> None:
    for fmt in FORMATS:
        for key in (
            artifact_keys.export_key(model_id, fmt),
            artifact_keys.export_report_key(model_id, fmt),
        ):
            if artifacts.exists(key):
                artifacts.delete(key)
