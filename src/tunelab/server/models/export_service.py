"""Export a model to ONNX or MLflow on the server: convert, store, report, download."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tunelab.artifacts import ArtifactStore
from tunelab.entities import artifact_keys
from tunelab.entities.platform import Model, NotFoundError
from tunelab.jobs import export_bundle_format
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
    """Convert the model's bundle to ``fmt`` in this request, store the artifact and its
    report, return it (the ``export`` job does the same in a worker).

    Raises ExportError (a step without converter, or failed parity) before storing anything.
    """
    source = bundle_dir(artifacts, model, cache_dir)
    return export_bundle_format(artifacts, model.id, source, fmt, quantize=quantize)


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
