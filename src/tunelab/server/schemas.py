"""Response and request bodies shared by every domain of the API."""

from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Path, Query
from pydantic import BaseModel, ConfigDict, Field, field_serializer, field_validator

from tunelab.entities.settings import AutoMLSettings, SettingsError, parse_settings

T = TypeVar("T")
INT64_MAX = 2**63 - 1  # the databases' integer range: larger numbers are refused with 422

Limit = Annotated[int, Query(ge=1, le=1000, description="At most this many items (1-1000).")]
Offset = Annotated[int, Query(ge=0, le=INT64_MAX, description="Items to skip.")]
RowId = Annotated[int, Query(ge=0, le=INT64_MAX)]
PathNumber = Annotated[int, Path(ge=0, le=INT64_MAX)]


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Created(BaseModel):
    id: str
    job_id: str | None = None


class DatasetOut(Out):
    id: str
    name: str
    source: str
    size_bytes: int
    sha256: str
    created_at: datetime
    n_rows: int | None
    n_columns: int | None
    column_settings: dict[str, Any]


class ExperimentOut(Out):
    id: str
    dataset_id: str
    name: str
    target: str
    task: str | None
    metric: str | None
    status: str
    settings: AutoMLSettings = Field(description="The settings given (defaults left out).")
    best_model_id: str | None
    job_id: str | None
    error: str
    version: int
    created_at: datetime
    updated_at: datetime

    @field_validator("settings", mode="before")
    @classmethod
    def _stored(cls, value: Any) -> Any:
        """Stored JSON as the typed settings (JSON of older versions read too)."""
        if isinstance(value, AutoMLSettings):
            return value
        try:
            return parse_settings(value, stored=True)
        except SettingsError:  # shown as stored: a later PATCH or start names the field
            return AutoMLSettings.model_construct(**dict(value or {}))

    @field_serializer("settings")
    def _given(self, value: AutoMLSettings):  # type: ignore[no-untyped-def]
        """Only the keys that were given, as stored (no return type: keeps the schema)."""
        return value.stored()


class TrialOut(Out):
    number: int
    family: str
    params: dict[str, Any]
    status: str
    score: float | None
    score_std: float | None
    fit_time: float
    predict_time: float
    source: str
    reason: str
    host: str = Field("", description="Where the trial ran ('' when not recorded).")
    node_id: str = Field("", description="The executor's node id ('local' for local runs).")


class RunOut(Out):
    """One run of an experiment: the settings it used, its status and its model."""

    number: int
    status: str
    settings: dict[str, Any]
    task: str | None
    metric: str | None
    job_id: str | None
    model_id: str | None
    error: str
    started_at: datetime
    finished_at: datetime | None
    n_trials: int = 0
    best_score: float | None = None


class Leaderboard(BaseModel):
    experiment_id: str
    run: int = Field(1, description="The run these trials belong to.")
    metric: str | None
    greater_is_better: bool
    total: int
    items: list[TrialOut]


class ModelOut(Out):
    id: str
    name: str
    experiment_id: str | None
    task: str | None
    metrics: dict[str, Any]
    created_at: datetime


class DeploymentOut(Out):
    id: str
    model_id: str
    name: str
    version: int
    status: str
    created_at: datetime


class PredictionOut(Out):
    id: int
    inputs: list[dict[str, Any]]
    outputs: dict[str, Any]
    explanation: dict[str, Any] | None
    latency_ms: float
    created_at: datetime
    model_id: str | None = None
    model_ref: str | None = None


class JobOut(Out):
    id: str
    kind: str
    payload: dict[str, Any]
    status: str
    attempts: int
    lease_owner: str | None
    cancel_requested: bool
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    result: dict[str, Any] | None
    error: str


class JobEventOut(Out):
    id: int
    job_id: str
    kind: str
    data: dict[str, Any]
    created_at: datetime


class Page(BaseModel, Generic[T]):
    items: list[T]
    limit: int
    offset: int


class PredictIn(BaseModel):
    records: list[dict[str, Any]] = Field(description="One object per row: column -> value.")


class PredictOut(BaseModel):
    predictions: list[Any]
    probabilities: list[dict[str, float]] | None = None
    # clustering models: the distance of each record to each cluster's centroid
    distances: list[list[float]] | None = None
    latency_ms: float


# ----- datasets area (chunked uploads, import, samples, preview, EDA) ---------------------
class UploadIn(BaseModel):
    filename: str = Field(description="The file's name; its extension gives the format.")
    size: int = Field(description="Total size in bytes.")
    sha256: str = Field(description="Hex sha256 of the whole file, checked on completion.")
    chunk_size: int | None = Field(default=None, description="Bytes per chunk (default 8 MiB).")


class UploadStarted(BaseModel):
    upload_id: str
    chunk_size: int
    n_chunks: int


class UploadStatus(BaseModel):
    upload_id: str
    filename: str
    size: int
    sha256: str
    chunk_size: int
    n_chunks: int
    received: list[int]
    received_bytes: int
    complete: bool
    created_at: str


class ImportIn(BaseModel):
    url: str = Field(description="s3://bucket/path/file.csv (csv, tsv, txt, xls, xlsx, parquet)")
    storage_options: dict[str, Any] = Field(
        default_factory=dict,
        description="credentials only: key, secret, token (the server's administrator sets "
        "the endpoint and other options).",
    )


class SampleOut(BaseModel):
    name: str
    title: str
    task: str
    target: str
    rows: int
    columns: int
    description: str = ""
    source: str = ""
    licence: str = ""


class PreviewOut(BaseModel):
    columns: list[str]
    head: list[dict[str, Any]]
    tail: list[dict[str, Any]]
    n_rows: int


class EdaIn(BaseModel):
    target: str | None = Field(default=None, description="Column to analyse the others against.")
