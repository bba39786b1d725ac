"""The ``export`` job: convert a model's bundle to ONNX or MLflow off the request path."""

import io
import json
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from tunelab.artifacts import ArtifactStore
from tunelab.entities import ExportError, artifact_keys
from tunelab.jobs._context import JobContext

EXPORT_FORMATS = ("onnx", "mlflow")


def export_bundle_format(
    artifacts: ArtifactStore, model_id: str, source: Path, fmt: str, *, quantize: bool = False
) -> dict[str, Any]:
    """Convert the bundle folder ``source`` of model ``model_id`` to ``fmt``, store the
    artifact and its report (``export_key`` / ``export_report_key``), return the report.

    Raises ExportError (a step without converter, or failed parity) before storing anything.
    """
    from tunelab.bundles import export_mlflow, export_onnx

    if fmt not in EXPORT_FORMATS:
        raise ExportError(f"unknown export format {fmt!r}: use onnx or mlflow")
    with tempfile.TemporaryDirectory(prefix="tunelab-export-") as tmp:
        if fmt == "onnx":
            result = export_onnx(source, Path(tmp) / "model.onnx", quantize=quantize)
            report: dict[str, Any] = result.to_dict()
            report.pop("path")
            artifacts.put_file(artifact_keys.export_key(model_id, fmt), result.path)
        else:
            if quantize:
                raise ExportError("quantize applies to the onnx format only")
            folder = export_mlflow(source, Path(tmp) / "mlflow")
            data = _zip_folder(folder)
            artifacts.put_bytes(artifact_keys.export_key(model_id, fmt), data)
            report = {"size_bytes": len(data), "files": sorted(_names(folder))}
    report = {"format": fmt, "model_id": model_id, **report}
    report["download_url"] = f"/api/v1/models/{model_id}/export/{fmt}"
    artifacts.put_bytes(
        artifact_keys.export_report_key(model_id, fmt), json.dumps(report).encode()
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


def run_export(ctx: JobContext) -> dict[str, Any]:
    """Payload ``{"model_id", "format", "quantize"?}``; the result is the export's report
    (with ``download_url``), the same as the synchronous ``POST .../export`` answers."""
    model = ctx.store.get_model(ctx.require("model_id"))
    fmt = str(ctx.require("format"))
    ctx.set_step("loading the model")
    source = ctx.artifacts.cached_dir(model.uri, Path(tempfile.gettempdir()) / "tunelab-bundles")
    ctx.check_cancelled()
    ctx.set_step(f"converting to {fmt}")
    return export_bundle_format(
        ctx.artifacts, model.id, source, fmt, quantize=bool(ctx.payload.get("quantize"))
    )
