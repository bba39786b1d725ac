"""``/api/v1/deployments``: deploy, list, compare, get, delete, predict (with explanations),
history, usage, code snippet, bundle download, batch predict."""

import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, BackgroundTasks, Header, Query, Request, status
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field, model_validator
from starlette.background import BackgroundTask

from tunelab.entities.platform import JobKind
from tunelab.server.deployments import service, serving
from tunelab.server.deps import PredictorsDep, SettingsDep, StoreDep
from tunelab.server.schemas import (
    INT64_MAX,
    Created,
    DeploymentOut,
    Limit,
    ModelOut,
    Offset,
    Page,
    PredictIn,
    PredictionOut,
    PredictOut,
)

router = APIRouter(prefix="/deployments", tags=["deployments"])


class DeploymentIn(BaseModel):
    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    model_id: str | None = Field(default=None, description="A model id (one bundle).")
    model: str | None = Field(
        default=None, description="A registry reference: name@alias or name/version."
    )
    name: str | None = None

    @model_validator(mode="after")
    def _one_source(self) -> "DeploymentIn":
        if (self.model_id is None) == (self.model is None):
            raise ValueError("give exactly one of model_id or model (name@alias, name/3)")
        return self


class PredictExplainedOut(PredictOut):
    model: str | None = None
    filled_in: list[list[str]] | None = Field(
        default=None,
        description="Per record, the columns sent as null: the model filled in (imputed) them.",
    )
    prediction_ids: list[str] | None = Field(
        default=None,
        description="The id of each record's logged prediction, in order (attach true "
        "labels to them later: POST .../labels).",
    )
    explanations: list[dict[str, Any]] | None = None


class CompareItem(BaseModel):
    deployment: DeploymentOut
    model: ModelOut
    experiment_id: str | None = None
    experiment_name: str | None = None
    dataset_id: str | None = None
    dataset_name: str | None = None
    run: int | None = None
    trial: int | None = Field(None, description="The trial a trial model was refitted from.")
    score: dict[str, Any] | None = Field(
        None, description="Validation score: value, std, metric and validation scheme."
    )
    metrics: dict[str, float] = Field(
        description="Other numbers of the model (no ids, ranks or placeholder timings)."
    )
    stats: dict[str, Any]


class CompareOut(BaseModel):
    items: list[CompareItem]
    metric_names: list[str]


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dataset_id: str


@router.post("", status_code=status.HTTP_201_CREATED, response_model=Created)
def create_deployment(
    body: DeploymentIn, store: StoreDep, predictors: PredictorsDep, background: BackgroundTasks
) -> Created:
    """Deploy a model by id or a registry reference (``name@alias`` follows the alias when
    it moves); its bundle is loaded (and verified) right after the answer."""
    if body.model is not None:
        deployment = store.deploy_reference(body.model, name=body.name)
    else:
        assert body.model_id is not None
        deployment = store.create_deployment(body.model_id, name=body.name)
    background.add_task(predictors.warm, deployment.id)
    return Created(id=deployment.id)


@router.get("", response_model=Page[DeploymentOut])
def list_deployments(
    store: StoreDep, model_id: str | None = None, limit: Limit = 50, offset: Offset = 0
) -> Any:
    items = store.list_deployments(model_id=model_id, limit=limit, offset=offset)
    return {"items": items, "limit": limit, "offset": offset}


@router.get("/compare", response_model=CompareOut)
def compare_deployments(
    store: StoreDep,
    predictors: PredictorsDep,
    ids: Annotated[str, Query(description="Comma-separated deployment ids")] = "",
) -> Any:
    """Model, task, metrics, latency statistics and creation time of several deployments."""
    wanted = [i.strip() for i in ids.split(",") if i.strip()]
    return service.compare(store, predictors, list(dict.fromkeys(wanted)))


@router.get("/{deployment_id}", response_model=DeploymentOut)
def get_deployment(deployment_id: str, store: StoreDep) -> Any:
    return store.get_deployment(deployment_id)


@router.delete("/{deployment_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_deployment(deployment_id: str, store: StoreDep, predictors: PredictorsDep) -> None:
    store.delete_deployment(deployment_id)
    predictors.forget(deployment_id)


@router.post(
    "/{deployment_id}/predict",
    response_model=PredictExplainedOut,
    response_model_exclude_none=True,
    responses={422: {"description": "A record lacks a field, has an extra one or a bad value"}},
)
async def predict(
    deployment_id: str,
    body: PredictIn,
    request: Request,
    explain: bool = False,
    method: Annotated[
        Literal["shap", "lime"],
        Query(description="With explain=true: shap (additive) or lime (local surrogate)."),
    ] = "shap",
    x_request_key: Annotated[str | None, Header()] = None,
) -> Any:
    """Predict JSON records synchronously (one or many rows).

    Classification answers carry ``probabilities`` (one object per record: label -> p). With
    ``explain=true`` the answer also carries ``explanations`` (one per record: each input
    column's contribution; ``method=lime`` for a LIME local surrogate instead of SHAP).
    ``model`` names the version that answered (``name/3``; the model id outside the
    registry). With sticky traffic the ``X-Request-Key`` header picks
    the route (same key, same route). Every prediction is stored with its explanation in
    the history; ``prediction_ids`` name each record's logged prediction (for labels later).
    Small requests a verified fast path can answer run inline; the rest run
    in a thread.
    """
    found = await serving.answer(
        request.app.state,
        deployment_id,
        body.records,
        key=x_request_key,
        explain=explain,
        method=method,
    )
    reply = {**found.out, "model": found.model, "latency_ms": found.latency_ms}
    filled = [sorted(k for k, v in record.items() if v is None) for record in body.records]
    if any(filled):  # the model fills in (imputes) these values: say so
        reply["filled_in"] = filled
    if found.prediction_ids is not None:
        reply["prediction_ids"] = found.prediction_ids
    if found.explanations is not None:
        reply["explanations"] = found.explanations
    return JSONResponse(reply)


@router.get("/{deployment_id}/predictions", response_model=list[PredictionOut])
def prediction_history(
    deployment_id: str,
    store: StoreDep,
    predictors: PredictorsDep,
    limit: Limit = 50,
    before_id: Annotated[int | None, Query(ge=1, le=INT64_MAX)] = None,
) -> Any:
    """Stored predictions with explanations, newest first; page with ``before_id`` = the
    smallest id you got. Explanations the background log had no time for are made now."""
    items = store.list_predictions(deployment_id, limit=limit, before_id=before_id)
    return service.fill_explanations(store, predictors, deployment_id, items)


@router.get("/{deployment_id}/usage")
def rest_usage(
    deployment_id: str, request: Request, predictors: PredictorsDep, settings: SettingsDep
) -> Any:
    """How to call this deployment: URL, method, headers, example body, a curl line, fields."""
    predictor = predictors.get(deployment_id)
    return service.usage(predictor, str(request.base_url), token=settings.needs_token)


@router.get("/{deployment_id}/snippet", response_class=PlainTextResponse)
def code_snippet(
    deployment_id: str,
    request: Request,
    predictors: PredictorsDep,
    store: StoreDep,
    settings: SettingsDep,
    lang: str = "python",
    bundle_path: str = "model_bundle",
) -> str:
    """A ready-to-run snippet: ``python`` (predicts with the unzipped bundle) or ``curl``."""
    predictor = predictors.get(deployment_id)
    return service.snippet(
        predictor, store, lang, str(request.base_url), bundle_path, settings.needs_token
    )


@router.get("/{deployment_id}/pipeline")
def pipeline(deployment_id: str, predictors: PredictorsDep) -> Any:
    """The deployed model's structure and metadata, read from its bundle."""
    return service.pipeline_summary(predictors.get(deployment_id))


@router.get("/{deployment_id}/bundle", response_class=FileResponse)
def download_bundle(deployment_id: str, predictors: PredictorsDep) -> FileResponse:
    """The deployment's model bundle as a zip (manifest.json + model.skops)."""
    predictor = predictors.get(deployment_id)
    tmp = Path(tempfile.mkdtemp(prefix="tunelab-zip-"))
    path = service.bundle_zip(predictor, tmp)
    return FileResponse(
        path,
        media_type="application/zip",
        filename=f"tunelab-{deployment_id}.zip",
        background=BackgroundTask(service.remove_tree, tmp),
    )


@router.post(
    "/{deployment_id}/batch", status_code=status.HTTP_202_ACCEPTED, response_model=Created
)
def batch_predict(deployment_id: str, body: BatchIn, store: StoreDep) -> Created:
    """Queue a batch prediction of a whole dataset; the result CSV key is in the job result."""
    store.get_deployment(deployment_id)
    store.get_dataset(body.dataset_id)
    payload = {"deployment_id": deployment_id, "dataset_id": body.dataset_id}
    job = store.enqueue_job(JobKind.BATCH_PREDICT, payload)
    return Created(id=job.id, job_id=job.id)
