"""Records of the platform (metadata store, jobs, deployments). Frozen; no I/O."""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from tunelab.entities.errors import TunelabError


class NotFoundError(TunelabError, LookupError):
    """A record asked for by id does not exist (the message names the kind and id)."""


class ConflictError(TunelabError):
    """A write lost a race or breaks a state rule (stale version, already running...)."""


class LeaseLostError(ConflictError):
    """A worker no longer holds the lease of its job (it expired and was taken over)."""


class ArtifactTooLargeError(TunelabError):
    """An upload went over the configured size limit; nothing of it was kept."""


class ExperimentStatus(StrEnum):
    READY = "ready"
    RUNNING = "running"
    FINISHED = "finished"
    STOPPED = "stopped"
    FAILED = "failed"


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_final(self) -> bool:
        return self in (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED)


class JobKind(StrEnum):
    """The kinds of job a worker runs (``tunelab.jobs.default_handlers`` maps each to its
    function). A ``str``: ``store.enqueue_job(JobKind.EDA, ...)`` stores ``"eda"``."""

    PARSE_PROFILE = "parse_profile"
    EDA = "eda"
    AUTOML = "automl"
    EVALUATE = "evaluate"
    DEPLOY = "deploy"
    TRIAL_MODEL = "trial_model"
    BATCH_PREDICT = "batch_predict"
    MONITOR = "monitor"
    RETRAIN = "retrain"
    EXPORT = "export"


class DeploymentStatus(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"


@dataclass(frozen=True)
class Dataset:
    """An uploaded table: where its file lives, and what is known about it."""

    id: str
    name: str
    source: str  # "upload", "s3://...", "sample:<name>"
    uri: str  # artifact key of the stored file
    size_bytes: int
    sha256: str
    created_at: datetime
    n_rows: int | None = None
    n_columns: int | None = None
    profile: dict[str, Any] | None = None
    column_settings: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Experiment:
    """One AutoML run on a dataset. ``version`` grows by one on every update."""

    id: str
    dataset_id: str
    name: str
    target: str
    status: ExperimentStatus
    settings: dict[str, Any]
    version: int
    created_at: datetime
    updated_at: datetime
    task: str | None = None
    metric: str | None = None
    best_model_id: str | None = None
    job_id: str | None = None
    error: str = ""


@dataclass(frozen=True)
class Trial:
    """One leaderboard row of an experiment (``number`` is unique per experiment)."""

    id: str
    experiment_id: str
    number: int
    family: str
    params: dict[str, Any]
    status: str  # a TrialStatus value
    created_at: datetime
    score: float | None = None
    score_std: float | None = None
    fit_time: float = 0.0
    predict_time: float = 0.0
    source: str = "search"
    reason: str = ""
    run: int = 1  # the run of the experiment it belongs to (1, 2, ...)
    host: str = ""  # where it ran ("" when unknown: recorded before hosts were kept)
    node_id: str = ""


@dataclass(frozen=True)
class Run:
    """One run of an experiment: the settings it used, its status, its trials and model.

    ``number`` counts from 1 per experiment; "Run again" starts the next number, so the
    trials of two runs are never ranked together."""

    id: str
    experiment_id: str
    number: int
    status: ExperimentStatus
    settings: dict[str, Any]
    started_at: datetime
    task: str | None = None
    metric: str | None = None
    job_id: str | None = None
    model_id: str | None = None
    error: str = ""
    finished_at: datetime | None = None


@dataclass(frozen=True)
class Model:
    """A saved model bundle (``uri`` is its artifact prefix)."""

    id: str
    name: str
    uri: str
    created_at: datetime
    experiment_id: str | None = None
    task: str | None = None
    metrics: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Deployment:
    """A model served for predictions."""

    id: str
    model_id: str
    name: str
    version: int
    status: DeploymentStatus
    created_at: datetime


@dataclass(frozen=True)
class Prediction:
    """One stored prediction request and its answer."""

    id: int
    deployment_id: str
    inputs: list[dict[str, Any]]
    outputs: dict[str, Any]
    latency_ms: float
    created_at: datetime
    explanation: dict[str, Any] | None = None
    model_id: str | None = None  # the model that answered
    model_ref: str | None = None  # its registry label ("name/3"), else the model id
    shadow: bool = False  # a shadow copy: logged for comparison, never returned


@dataclass(frozen=True)
class Job:
    """A unit of background work taken by a worker under a lease."""

    id: str
    kind: str
    payload: dict[str, Any]
    status: JobStatus
    attempts: int
    max_attempts: int
    created_at: datetime
    lease_owner: str | None = None
    lease_expires_at: datetime | None = None
    heartbeat_at: datetime | None = None
    cancel_requested: bool = False
    started_at: datetime | None = None
    finished_at: datetime | None = None
    result: dict[str, Any] | None = None
    error: str = ""


@dataclass(frozen=True)
class JobEvent:
    """A progress event of a job; ``id`` grows monotonically across all jobs."""

    id: int
    job_id: str
    kind: str
    data: dict[str, Any]
    created_at: datetime
