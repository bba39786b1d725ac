"""``/api/v1/deployments/{id}``: drift, drift settings, true labels (JSON or CSV) and
performance over time of a deployment's logged predictions (see docs/monitoring.md)."""

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from tunelab.jobs import drift_of, performance_of
from tunelab.monitoring import BUCKETS, MIN_ROWS
from tunelab.server.deps import PredictorsDep, StoreDep
from tunelab.server.errors import FieldError
from tunelab.server.monitoring import service

router = APIRouter(prefix="/deployments", tags=["monitoring"])
TimeQuery = Annotated[
    str | None, Query(description="ISO 8601 time (UTC when no offset); empty: unbounded")
]


class LabelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    prediction_id: str = Field(min_length=1, max_length=64)
    label: str | int | float | bool | None


class LabelsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    labels: list[LabelIn] = Field(min_length=1, max_length=100_000)


class LabelsOut(BaseModel):
    labelled: int
    rows: int | None = None
    unmatched: int | None = None


class ColumnRuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    method: str | None = None
    threshold: float | None = Field(default=None, ge=0)


class SettingsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    drift_share: float = Field(default=0.5, gt=0, le=1)
    min_rows: int = Field(default=MIN_ROWS, ge=1)
    columns: dict[str, ColumnRuleIn] = Field(default_factory=dict)


@router.get("/{deployment_id}/drift")
async def drift(
    deployment_id: str,
    store: StoreDep,
    predictors: PredictorsDep,
    start: TimeQuery = None,
    end: TimeQuery = None,
) -> Any:
    """Drift of the inputs logged in ``[start, end)`` against the training reference of the
    deployment's model: per column method, score, threshold and verdict, missing share and
    unseen categories; the share of drifted columns and the dataset verdict; prediction
    drift. Fewer rows than ``min_rows`` answer ``status: "not_enough_data"`` with null
    verdicts."""
    first, last = service.window_of(start, end)
    predictor = await run_in_threadpool(predictors.get, deployment_id)
    return await run_in_threadpool(drift_of, store, predictor.bundle, deployment_id, first, last)


@router.get("/{deployment_id}/monitoring/settings")
def get_settings(deployment_id: str, store: StoreDep) -> Any:
    """Drift settings: ``drift_share``, ``min_rows`` and per column ``method``/``threshold``."""
    stored = store.get_monitor_settings(deployment_id)
    return SettingsIn.model_validate(stored).model_dump()


@router.put("/{deployment_id}/monitoring/settings")
def put_settings(deployment_id: str, body: SettingsIn, store: StoreDep) -> Any:
    """Replace the drift settings (unknown methods are refused, 422)."""
    settings = body.model_dump(exclude_none=False)
    service.check_settings(settings)
    store.set_monitor_settings(deployment_id, settings)
    return settings


@router.post("/{deployment_id}/labels", response_model=LabelsOut)
def post_labels(deployment_id: str, body: LabelsIn, store: StoreDep) -> Any:
    """Attach true labels to logged predictions by ``prediction_id`` (from the predict
    answer's ``prediction_ids``); a later label replaces an earlier one."""
    count = store.add_labels(
        deployment_id, [(item.prediction_id, item.label) for item in body.labels]
    )
    return {"labelled": count}


@router.post("/{deployment_id}/labels/csv", response_model=LabelsOut)
async def post_labels_csv(
    deployment_id: str,
    store: StoreDep,
    file: Annotated[UploadFile, File(description="CSV with a key column and a label column")],
    key_column: Annotated[str, Form(min_length=1)],
    label_column: Annotated[str, Form(min_length=1)],
) -> Any:
    """Attach labels from a CSV: its ``key_column`` is joined with the logged input field of
    the same name (or ``prediction_id``); the label is read from ``label_column``."""
    data = await file.read(service.MAX_CSV_BYTES + 1)
    return await run_in_threadpool(
        service.labels_from_csv, store, deployment_id, data, key_column, label_column
    )


@router.get("/{deployment_id}/performance")
async def performance(
    deployment_id: str,
    store: StoreDep,
    predictors: PredictorsDep,
    start: TimeQuery = None,
    end: TimeQuery = None,
    bucket: str = "day",
) -> Any:
    """The task's metrics per time bucket (``hour``, ``day``, ``week``) on the labelled
    predictions, with counts and 95% bootstrap intervals, beside the model's held-back
    metrics; classifiers also get a label-free estimate (CBPE, marked ``estimate``)."""
    if bucket not in BUCKETS:
        raise FieldError(
            ["query", "bucket"], f"bucket must be one of {', '.join(BUCKETS)}", "enum"
        )
    first, last = service.window_of(start, end)
    predictor = await run_in_threadpool(predictors.get, deployment_id)
    return await run_in_threadpool(
        performance_of, store, predictor.bundle, deployment_id, first, last, bucket
    )
