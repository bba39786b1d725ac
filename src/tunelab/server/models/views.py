"""``/api/v1/models``: list, get, delete, evaluation (job, metrics, plots), pipeline, bundle
zip, code snippet and export to S3."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, HTTPException, Query, Request, status
from fastapi.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from tunelab.entities import artifact_keys
from tunelab.entities.platform import DeploymentStatus, JobKind
from tunelab.server.deps import ArtifactsDep, PredictorsDep, SettingsDep, StoreDep
from tunelab.server.errors import FieldError
from tunelab.server.models import bundle_io, export_service, service
from tunelab.server.object_store import check_object_url, request_options
from tunelab.server.schemas import Created, Limit, ModelOut, Offset, Page

router = APIRouter(prefix="/models", tags=["models"])


class EvaluateIn(BaseModel):
    """Without ``dataset_id`` the model is evaluated on its experiment's train/valid/test."""

    model_config = ConfigDict(extra="forbid")

    dataset_id: str | None = None
    target: str | None = None


class ExportIn(BaseModel):
    """Either ``format`` (convert to ONNX or MLflow, download from ``download_url``) or
    ``url`` (copy the bundle to S3)."""

    model_config = ConfigDict(extra="forbid")

    format: Literal["onnx", "mlflow"] | None = Field(
        default=None,
        description="onnx: one ONNX graph on the raw columns, parity-checked; mlflow: an "
        "MLflow model folder (zip) that mlflow.pyfunc.load_model loads",
    )
    quantize: bool = Field(
        default=False, description="onnx only: int8 dynamic quantisation of matrix products"
    )
    background: bool = Field(
        default=False,
        description="with format: convert in a worker; answers 202 with the job's id (poll "
        "GET /api/v1/jobs/{job_id}; its result is the report, download_url included)",
    )
    url: str | None = Field(
        default=None, description="s3://bucket/prefix (bundle files) or s3://bucket/key.zip"
    )
    storage_options: dict[str, Any] | None = Field(
        default=None,
        description="credentials only (key, secret, token); the server's administrator sets "
        "the endpoint (TUNELAB_OBJECT_STORE_OPTIONS, else TUNELAB_ARTIFACTS_OPTIONS)",
    )


@router.get("", response_model=Page[ModelOut])
def list_models(
    store: StoreDep, experiment_id: str | None = None, limit: Limit = 50, offset: Offset = 0
) -> Any:
    items = store.list_models(experiment_id=experiment_id, limit=limit, offset=offset)
    return {"items": items, "limit": limit, "offset": offset}


@router.get("/{model_id}", response_model=ModelOut)
def get_model(model_id: str, store: StoreDep) -> Any:
    return store.get_model(model_id)


@router.delete("/{model_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_model(
    model_id: str,
    store: StoreDep,
    artifacts: ArtifactsDep,
    predictors: PredictorsDep,
    cascade: bool = False,
) -> None:
    """Delete a model, its bundle and evaluation. 409 while deployed, unless ``cascade=true``
    (which deletes its deployments and their prediction history too)."""
    model = store.get_model(model_id)
    for deployment_id in store.delete_model(model_id, cascade=cascade):
        predictors.forget(deployment_id)
    artifacts.delete(model.uri)
    service.delete_evaluation(artifacts, model_id)
    export_service.delete_exports(artifacts, model_id)


@router.post("/{model_id}/evaluate", status_code=status.HTTP_202_ACCEPTED, response_model=Created)
def evaluate_model(
    model_id: str,
    store: StoreDep,
    artifacts: ArtifactsDep,
    body: Annotated[EvaluateIn | None, Body()] = None,
) -> Created:
    """Queue an evaluation job: every metric of the task with 95% bootstrap intervals and the
    plot figures. An evaluation already queued or running is returned instead of a new one."""
    body = body or EvaluateIn()
    job = service.start_evaluation(store, artifacts, model_id, body.dataset_id, body.target)
    return Created(id=job.id, job_id=job.id)


def _evaluation_or_409(call: Any) -> Any:
    try:
        return call()
    except service.EvaluationMissingError as exc:
        raise HTTPException(409, detail={"message": str(exc), **exc.state}) from None


@router.get("/{model_id}/evaluation")
def get_evaluation(
    model_id: str, store: StoreDep, artifacts: ArtifactsDep, dataset_id: str | None = None
) -> dict[str, Any]:
    """Metrics per part (``train``, ``valid``, ``test``; or ``dataset``) as ``{value, ci_low,
    ci_high, greater_is_better}``, the data source of each part and the plot names. 409 (with
    ``status``: missing, queued, running or failed) until computed."""
    result: dict[str, Any] = _evaluation_or_409(
        lambda: service.read_evaluation(store, artifacts, model_id, dataset_id)
    )
    return result


@router.get("/{model_id}/plots/{name}")
def get_plot(
    model_id: str,
    name: str,
    store: StoreDep,
    artifacts: ArtifactsDep,
    dataset_id: str | None = None,
) -> Response:
    """One evaluation plot as Plotly figure JSON (``{"data": [...], "layout": {...}}``)."""
    content = _evaluation_or_409(
        lambda: service.read_plot(store, artifacts, model_id, name, dataset_id)
    )
    return Response(content, media_type="application/json")


@router.get("/{model_id}/pipeline")
def get_pipeline(
    model_id: str, store: StoreDep, artifacts: ArtifactsDep, settings: SettingsDep
) -> dict[str, Any]:
    """Ensemble members with weights, each member's preprocessing steps (per column) and
    estimator with its hyperparameters."""
    return service.pipeline_view(store, artifacts, model_id, settings.cache_dir)


@router.get("/{model_id}/bundle.zip", response_class=StreamingResponse)
def download_bundle(model_id: str, store: StoreDep, artifacts: ArtifactsDep) -> Any:
    """The bundle folder as a zip, streamed (load it with ``tunelab.load_bundle``)."""
    model = store.get_model(model_id)
    files = bundle_io.bundle_files(artifacts, model)
    filename = f"tunelab-model-{model.id}.zip"
    return StreamingResponse(
        bundle_io.stream_zip(artifacts, files),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/{model_id}/snippet", response_class=PlainTextResponse)
def get_snippet(
    model_id: str,
    request: Request,
    store: StoreDep,
    artifacts: ArtifactsDep,
    settings: SettingsDep,
    lang: Annotated[Literal["python", "curl"], Query()] = "python",
) -> str:
    """Runnable code: ``python`` (download + ``tunelab.load_bundle`` + predict) or ``curl``."""
    model = store.get_model(model_id)
    record = service.example_record(service.read_manifest(artifacts, model))
    base = str(request.base_url).rstrip("/")
    token = settings.needs_token
    if lang == "python":
        return bundle_io.python_snippet(model, base, record, token)
    active = [
        d for d in store.list_deployments(model_id=model_id) if d.status is DeploymentStatus.ACTIVE
    ]
    return bundle_io.curl_snippet(model, base, record, token, active[0].id if active else None)


@router.post("/{model_id}/export")
def export_model(
    model_id: str, body: ExportIn, store: StoreDep, artifacts: ArtifactsDep, settings: SettingsDep
) -> Any:
    """With ``format``: convert the model to ONNX or MLflow and store the result (its
    ``download_url``, size and, for ONNX, parity figures are answered; a model with a step
    that cannot convert, or whose ONNX predictions differ, is refused with 422 naming it);
    with ``background: true`` a worker converts it (202, ``job_id``: poll the job).
    With ``url``: copy the bundle to S3 (files under a prefix, or one ``.zip`` object)."""
    if (body.format is None) == (body.url is None):
        raise FieldError(
            ["body", "format"], "give either format (onnx, mlflow) or url, not both", "value_error"
        )
    if body.format is not None:
        model = store.get_model(model_id)
        if body.background:
            payload = {"model_id": model.id, "format": body.format, "quantize": body.quantize}
            job = store.enqueue_job(JobKind.EXPORT, payload)
            answer = {"job_id": job.id, "status_url": f"/api/v1/jobs/{job.id}"}
            return JSONResponse(answer, status_code=status.HTTP_202_ACCEPTED)
        return export_service.export_model_format(
            artifacts, model, body.format, settings.cache_dir, quantize=body.quantize
        )
    assert body.url is not None
    url = check_object_url(body.url, settings, "prefix").rstrip("/")
    options = request_options(body.storage_options, settings)
    model = store.get_model(model_id)
    return bundle_io.export_bundle(artifacts, model, url, options)


@router.get("/{model_id}/export/{fmt}", response_class=StreamingResponse)
def download_export(
    model_id: str, fmt: Literal["onnx", "mlflow"], store: StoreDep, artifacts: ArtifactsDep
) -> Any:
    """The stored ONNX file or MLflow model zip made by ``POST .../export {"format"}``."""
    model = store.get_model(model_id)
    export_service.exported_report(artifacts, model, fmt)  # 404 before any export
    key = artifact_keys.export_key(model.id, fmt)
    return StreamingResponse(
        artifacts.iter_chunks(key),
        media_type=export_service.MEDIA_TYPES[fmt],
        headers={
            "Content-Disposition": (
                f'attachment; filename="{export_service.download_name(model, fmt)}"'
            )
        },
    )


@router.get("/{model_id}/export/{fmt}/report")
def get_export_report(
    model_id: str, fmt: Literal["onnx", "mlflow"], store: StoreDep, artifacts: ArtifactsDep
) -> dict[str, Any]:
    """What the last export to ``fmt`` wrote, with its parity figures (404 before one)."""
    return export_service.exported_report(artifacts, store.get_model(model_id), fmt)
