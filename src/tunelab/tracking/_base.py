"""Shared plumbing of the metadata store: engine, transactions, ids, row -> entity."""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Self, TypeVar

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from tunelab.entities.platform import (
    Dataset,
    Deployment,
    DeploymentStatus,
    Experiment,
    ExperimentStatus,
    Job,
    JobEvent,
    JobStatus,
    Model,
    NotFoundError,
    Prediction,
    Run,
    Trial,
)
from tunelab.tracking._engine import IMMEDIATE, make_engine, upgrade
from tunelab.tracking._orm import (
    Base,
    DatasetRow,
    DeploymentRow,
    ExperimentRow,
    JobEventRow,
    JobRow,
    ModelRow,
    PredictionRow,
    RunRow,
    TrialRow,
)

RowT = TypeVar("RowT", bound=Base)


def new_id() -> str:
    return uuid.uuid4().hex


class StoreBase:
    """Owns the engine; hands out read and write (SQLite: ``BEGIN IMMEDIATE``) sessions."""

    def __init__(self, url: str, *, migrate: bool = True) -> None:
        self.url = url
        self.engine: Engine = make_engine(url)
        self._writer = self.engine.execution_options(**{IMMEDIATE: True})
        if migrate:
            upgrade(self.engine)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def close(self) -> None:
        """Release every pooled connection."""
        self.engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _read(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            yield session

    @contextmanager
    def _write(self) -> Iterator[Session]:
        with Session(self._writer, expire_on_commit=False) as session, session.begin():
            yield session

    @staticmethod
    def _get(session: Session, row_type: type[RowT], id_: str | int, label: str) -> RowT:
        row = session.get(row_type, id_)
        if row is None:
            raise NotFoundError(f"{label} {id_!r} does not exist")
        return row


def to_dataset(r: DatasetRow) -> Dataset:
    return Dataset(
        id=r.id,
        name=r.name,
        source=r.source,
        uri=r.uri,
        size_bytes=r.size_bytes,
        sha256=r.sha256,
        created_at=r.created_at,
        n_rows=r.n_rows,
        n_columns=r.n_columns,
        profile=r.profile,
        column_settings=dict(r.column_settings or {}),
    )


def to_experiment(r: ExperimentRow) -> Experiment:
    return Experiment(
        id=r.id,
        dataset_id=r.dataset_id,
        name=r.name,
        target=r.target,
        status=ExperimentStatus(r.status),
        settings=dict(r.settings or {}),
        version=r.version,
        created_at=r.created_at,
        updated_at=r.updated_at,
        task=r.task,
        metric=r.metric,
        best_model_id=r.best_model_id,
        job_id=r.job_id,
        error=r.error or "",
    )


def to_trial(r: TrialRow) -> Trial:
    return Trial(
        id=r.id,
        experiment_id=r.experiment_id,
        number=r.number,
        family=r.family,
        params=dict(r.params or {}),
        status=r.status,
        created_at=r.created_at,
        score=r.score,
        score_std=r.score_std,
        fit_time=r.fit_time,
        predict_time=r.predict_time,
        source=r.source,
        reason=r.reason or "",
        run=r.run,
        host=r.host or "",
        node_id=r.node_id or "",
    )


def to_run(r: RunRow) -> Run:
    return Run(
        id=r.id,
        experiment_id=r.experiment_id,
        number=r.number,
        status=ExperimentStatus(r.status),
        settings=dict(r.settings or {}),
        started_at=r.started_at,
        task=r.task,
        metric=r.metric,
        job_id=r.job_id,
        model_id=r.model_id,
        error=r.error or "",
        finished_at=r.finished_at,
    )


def to_model(r: ModelRow) -> Model:
    return Model(
        id=r.id,
        name=r.name,
        uri=r.uri,
        created_at=r.created_at,
        experiment_id=r.experiment_id,
        task=r.task,
        metrics=dict(r.metrics or {}),
    )


def to_deployment(r: DeploymentRow) -> Deployment:
    return Deployment(
        id=r.id,
        model_id=r.model_id,
        name=r.name,
        version=r.version,
        status=DeploymentStatus(r.status),
        created_at=r.created_at,
    )


def to_prediction(r: PredictionRow) -> Prediction:
    return Prediction(
        id=r.id,
        deployment_id=r.deployment_id,
        inputs=list(r.inputs),
        outputs=dict(r.outputs),
        latency_ms=r.latency_ms,
        created_at=r.created_at,
        explanation=r.explanation,
        model_id=r.model_id,
        model_ref=r.model_ref,
        shadow=bool(r.shadow),
    )


def to_job(r: JobRow) -> Job:
    return Job(
        id=r.id,
        kind=r.kind,
        payload=dict(r.payload or {}),
        status=JobStatus(r.status),
        attempts=r.attempts,
        max_attempts=r.max_attempts,
        created_at=r.created_at,
        lease_owner=r.lease_owner,
        lease_expires_at=r.lease_expires_at,
        heartbeat_at=r.heartbeat_at,
        cancel_requested=r.cancel_requested,
        started_at=r.started_at,
        finished_at=r.finished_at,
        result=r.result,
        error=r.error or "",
    )


def to_event(r: JobEventRow) -> JobEvent:
    return JobEvent(
        id=r.id, job_id=r.job_id, kind=r.kind, data=dict(r.data), created_at=r.created_at
    )


def pick(changes: dict[str, Any], allowed: frozenset[str], label: str) -> dict[str, Any]:
    """``changes`` restricted to ``allowed`` fields; an unknown field is a programming error."""
    unknown = set(changes) - allowed
    if unknown:
        raise TypeError(f"{label} has no updatable field(s) {sorted(unknown)}")
    return changes
