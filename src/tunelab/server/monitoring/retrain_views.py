"""``/api/v1/deployments/{id}``: retrain the champion on new data (a challenger compared on
the same held-back rows), list the retrains, promote a challenger with one call."""

from typing import Any

from fastapi import APIRouter, Request, status
from pydantic import BaseModel, ConfigDict, Field

from tunelab.server.deps import ArtifactsDep, PredictorsDep, StoreDep
from tunelab.server.errors import FieldError
from tunelab.server.monitoring import retrain
from tunelab.server.monitoring.window_data import window_bounds

router = APIRouter(prefix="/deployments", tags=["monitoring"])


class WindowIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: str | None = Field(default=None, description="ISO 8601 (UTC without offset)")
    end: str | None = Field(default=None, description="ISO 8601, exclusive")


class RetrainIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dataset_id: str | None = Field(default=None, description="Retrain on this dataset, or")
    window: WindowIn | None = Field(
        default=None,
        description="on the predictions logged in [start, end) that have a true label "
        "(their logged inputs, the label as the target)",
    )
    include_training_data: bool = Field(
        default=False,
        description="With window: the champion's original training rows come first",
    )
    auto_promote: bool = Field(
        default=False,
        description="Promote the challenger without a human when it beats the champion on "
        "the held-back rows by at least min_improvement (in the experiment's metric).",
    )
    min_improvement: float = Field(default=0.0, ge=0)


class PromoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1, description="The registered version to make the champion")


@router.post("/{deployment_id}/retrain", status_code=status.HTTP_202_ACCEPTED)
def start_retrain(
    deployment_id: str,
    body: RetrainIn,
    request: Request,
    store: StoreDep,
    artifacts: ArtifactsDep,
) -> Any:
    """Queue a new experiment with the champion's settings on ``dataset_id``, or on a
    labelled ``window`` of the prediction log (stored as a new dataset; with
    ``include_training_data`` after the champion's training rows); the result is registered
    with alias ``challenger`` and compared with the champion on the new run's test rows (see
    GET .../retrain). A deployment serving its model directly is made to follow
    ``name@champion`` (same model) so that a promotion moves it."""
    if (body.dataset_id is None) == (body.window is None):
        raise FieldError(["body", "dataset_id"], "give either dataset_id or window", "missing")
    if body.window is not None:
        start, end = window_bounds(body.window.model_dump())
        started = retrain.start_window_retrain(
            store,
            artifacts,
            deployment_id,
            start,
            end,
            include_training_data=body.include_training_data,
            auto_promote=body.auto_promote,
            min_improvement=body.min_improvement,
        )
    else:
        assert body.dataset_id is not None
        started = retrain.start_retrain(
            store,
            deployment_id,
            body.dataset_id,
            auto_promote=body.auto_promote,
            min_improvement=body.min_improvement,
        )
    request.app.state.traffic.refresh(deployment_id)
    return started


@router.get("/{deployment_id}/retrain")
def list_retrains(deployment_id: str, store: StoreDep) -> Any:
    """The deployment's retrains, newest first: status, experiment, and when done the
    challenger (``name/version``), the comparison with intervals and whether it was promoted."""
    return {"items": retrain.retrains(store, deployment_id)}


@router.post("/{deployment_id}/promote")
def promote(
    deployment_id: str,
    body: PromoteIn,
    request: Request,
    store: StoreDep,
    predictors: PredictorsDep,
) -> Any:
    """Make a version of the deployment's registered model the ``champion`` (the
    deployment follows ``name@champion``; the switch loses no request)."""
    traffic = request.app.state.traffic
    return retrain.promote(store, traffic, predictors, deployment_id, body.version)
