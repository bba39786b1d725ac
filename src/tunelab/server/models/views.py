"""``/api/v1/models``: list, get, delete (refused while deployed unless cascading), evaluate."""

from typing import Any

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict

from tunelab.server.deps import ArtifactsDep, PredictorsDep, StoreDep
from tunelab.server.schemas import Created, ModelOut, Page

router = APIRouter(prefix="/models", tags=["models"])


class EvaluateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dataset_id: str
    target: str | None = None


@router.get("", response_model=Page[ModelOut])
def list_models(
    store: StoreDep, experiment_id: str | None = None, limit: int = 50, offset: int = 0
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
    """Delete a model and its bundle. 409 while deployed, unless ``cascade=true`` (which
    deletes its deployments and their prediction history too)."""
    model = store.get_model(model_id)
    for deployment_id in store.delete_model(model_id, cascade=cascade):
        predictors.forget(deployment_id)
    artifacts.delete(model.uri)


@router.post("/{model_id}/evaluate", status_code=status.HTTP_202_ACCEPTED, response_model=Created)
def evaluate_model(model_id: str, body: EvaluateIn, store: StoreDep) -> Created:
    """Queue an evaluation job (all metrics with intervals, plot data) on a labelled dataset."""
    store.get_model(model_id)
    store.get_dataset(body.dataset_id)
    payload = {"model_id": model_id, **body.model_dump(exclude_none=True)}
    job = store.enqueue_job("evaluate", payload)
    return Created(id=job.id, job_id=job.id)
