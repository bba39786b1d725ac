"""``/api/v1/deployments``: deploy, list, get, delete, predict, history, batch predict."""

from typing import Any

from fastapi import APIRouter, BackgroundTasks, status
from pydantic import BaseModel, ConfigDict

from tunelab.server.deps import PredictorsDep, SettingsDep, StoreDep
from tunelab.server.predictor import timed_predict
from tunelab.server.schemas import (
    Created,
    DeploymentOut,
    Page,
    PredictIn,
    PredictionOut,
    PredictOut,
)

router = APIRouter(prefix="/deployments", tags=["deployments"])


class DeploymentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model_id: str
    name: str | None = None


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dataset_id: str


@router.post("", status_code=status.HTTP_201_CREATED, response_model=Created)
def create_deployment(
    body: DeploymentIn, store: StoreDep, predictors: PredictorsDep, background: BackgroundTasks
) -> Created:
    """Deploy a model; its bundle is loaded (and verified) right after the answer."""
    deployment = store.create_deployment(body.model_id, name=body.name)
    background.add_task(predictors.warm, deployment.id)
    return Created(id=deployment.id)


@router.get("", response_model=Page[DeploymentOut])
def list_deployments(
    store: StoreDep, model_id: str | None = None, limit: int = 50, offset: int = 0
) -> Any:
    items = store.list_deployments(model_id=model_id, limit=limit, offset=offset)
    return {"items": items, "limit": limit, "offset": offset}


@router.get("/{deployment_id}", response_model=DeploymentOut)
def get_deployment(deployment_id: str, store: StoreDep) -> Any:
    return store.get_deployment(deployment_id)


@router.delete("/{deployment_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_deployment(deployment_id: str, store: StoreDep, predictors: PredictorsDep) -> None:
    store.delete_deployment(deployment_id)
    predictors.forget(deployment_id)


@router.post(
    "/{deployment_id}/predict",
    response_model=PredictOut,
    response_model_exclude_none=True,
    responses={422: {"description": "A record lacks a field, has an extra one or a bad value"}},
)
def predict(
    deployment_id: str,
    body: PredictIn,
    predictors: PredictorsDep,
    settings: SettingsDep,
    store: StoreDep,
) -> Any:
    """Predict JSON records synchronously (one or many rows).

    Classification answers carry ``probabilities`` (one object per record: label -> p).
    """
    predictor = predictors.get(deployment_id)
    out, latency_ms = timed_predict(predictor, body.records)
    if settings.store_predictions and predictors.log is not None:
        predictors.log.record(
            deployment_id, inputs=body.records, outputs=out, latency_ms=latency_ms
        )
    return {**out, "latency_ms": latency_ms}


@router.get("/{deployment_id}/predictions", response_model=list[PredictionOut])
def prediction_history(
    deployment_id: str, store: StoreDep, limit: int = 50, before_id: int | None = None
) -> Any:
    """Stored predictions, newest first; page with ``before_id`` = the last id you got."""
    return store.list_predictions(deployment_id, limit=min(limit, 1000), before_id=before_id)


@router.post(
    "/{deployment_id}/batch", status_code=status.HTTP_202_ACCEPTED, response_model=Created
)
def batch_predict(deployment_id: str, body: BatchIn, store: StoreDep) -> Created:
    """Queue a batch prediction of a whole dataset; the result CSV key is in the job result."""
    store.get_deployment(deployment_id)
    store.get_dataset(body.dataset_id)
    payload = {"deployment_id": deployment_id, "dataset_id": body.dataset_id}
    job = store.enqueue_job("batch_predict", payload)
    return Created(id=job.id, job_id=job.id)
