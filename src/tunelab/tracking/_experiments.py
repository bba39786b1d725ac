"""Datasets, experiments (optimistic locking, status transitions) and trials."""

from collections.abc import Iterable
from typing import Any, ClassVar

from sqlalchemy import Text, cast, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tunelab.entities.auth import ResourceKind
from tunelab.entities.platform import (
    ConflictError,
    Dataset,
    Experiment,
    ExperimentStatus,
    NotFoundError,
    Run,
    Trial,
)
from tunelab.entities.trials import TrialRecord
from tunelab.tracking._auth import check_visible, record_owner, visible_clause
from tunelab.tracking._base import (
    StoreBase,
    new_id,
    pick,
    to_dataset,
    to_experiment,
    to_run,
    to_trial,
)
from tunelab.tracking._json import jsonable
from tunelab.tracking._orm import DatasetRow, ExperimentRow, RunRow, TrialRow, utcnow

_DATASET_FIELDS = frozenset({"name", "n_rows", "n_columns", "profile", "column_settings"})
_EXPERIMENT_FIELDS = frozenset(
    {"name", "target", "task", "metric", "settings", "best_model_id", "job_id", "error", "status"}
)
_MAX_RETRIES = 50
LEADERBOARD_COLUMNS = (
    "number",
    "family",
    "params",
    "status",
    "score",
    "score_std",
    "fit_time",
    "predict_time",
    "source",
    "reason",
    "host",
    "node_id",
)


class ExperimentStoreMixin(StoreBase):
    leaderboard_columns: ClassVar[tuple[str, ...]] = LEADERBOARD_COLUMNS

    # ----- datasets -------------------------------------------------------------------------
    def add_dataset(
        self,
        *,
        name: str,
        source: str,
        uri: str,
        size_bytes: int,
        sha256: str,
        n_rows: int | None = None,
        n_columns: int | None = None,
        profile: dict[str, Any] | None = None,
        column_settings: dict[str, Any] | None = None,
        id: str | None = None,
    ) -> Dataset:
        row = DatasetRow(
            id=id or new_id(),
            name=name,
            source=source,
            uri=uri,
            size_bytes=size_bytes,
            sha256=sha256,
            n_rows=n_rows,
            n_columns=n_columns,
            profile=jsonable(profile),
            column_settings=jsonable(column_settings or {}),
            created_at=utcnow(),
        )
        with self._write() as s:
            s.add(row)
            record_owner(s, ResourceKind.DATASET, row.id)
        return to_dataset(row)

    def get_dataset(self, dataset_id: str) -> Dataset:
        with self._read() as s:
            return to_dataset(self._get(s, DatasetRow, dataset_id, "dataset"))

    def list_datasets(self, *, limit: int = 50, offset: int = 0) -> list[Dataset]:
        query = select(DatasetRow).where(visible_clause(ResourceKind.DATASET, DatasetRow.id))
        query = query.order_by(DatasetRow.created_at.desc(), DatasetRow.id)
        with self._read() as s:
            return [to_dataset(r) for r in s.scalars(query.limit(limit).offset(offset))]

    def update_dataset(self, dataset_id: str, **changes: Any) -> Dataset:
        """Set fields among name, n_rows, n_columns, profile, column_settings."""
        pick(changes, _DATASET_FIELDS, "dataset")
        with self._write() as s:
            row = self._get(s, DatasetRow, dataset_id, "dataset")
            for key, value in changes.items():
                setattr(row, key, jsonable(value))
        return to_dataset(row)

    def delete_dataset(self, dataset_id: str) -> None:
        """Delete a dataset no experiment uses (else ConflictError)."""
        with self._write() as s:
            row = self._get(s, DatasetRow, dataset_id, "dataset")
            used = s.scalar(
                select(func.count())
                .select_from(ExperimentRow)
                .where(ExperimentRow.dataset_id == dataset_id)
            )
            if used:
                raise ConflictError(f"dataset {dataset_id!r} is used by {used} experiment(s)")
            s.delete(row)

    # ----- experiments ----------------------------------------------------------------------
    def create_experiment(
        self,
        *,
        dataset_id: str,
        target: str,
        name: str | None = None,
        task: str | None = None,
        metric: str | None = None,
        settings: dict[str, Any] | None = None,
    ) -> Experiment:
        now = utcnow()
        with self._write() as s:
            dataset = self._get(s, DatasetRow, dataset_id, "dataset")
            check_visible(s, ResourceKind.DATASET, dataset_id)
            row = ExperimentRow(
                id=new_id(),
                dataset_id=dataset_id,
                name=name or f"{dataset.name} → {target}",
                target=target,
                task=task,
                metric=metric,
                status=ExperimentStatus.READY.value,
                settings=jsonable(settings or {}),
                error="",
                version=1,
                created_at=now,
                updated_at=now,
            )
            s.add(row)
            record_owner(s, ResourceKind.EXPERIMENT, row.id)
        return to_experiment(row)

    def get_experiment(self, experiment_id: str) -> Experiment:
        with self._read() as s:
            return to_experiment(self._get(s, ExperimentRow, experiment_id, "experiment"))

    def list_experiments(
        self,
        *,
        status: ExperimentStatus | str | None = None,
        dataset_id: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[Experiment]:
        """Newest first, optionally filtered by status and dataset."""
        query = select(ExperimentRow).where(
            visible_clause(ResourceKind.EXPERIMENT, ExperimentRow.id)
        )
        if status is not None:
            query = query.where(ExperimentRow.status == str(status))
        if dataset_id is not None:
            query = query.where(ExperimentRow.dataset_id == dataset_id)
        query = query.order_by(ExperimentRow.created_at.desc(), ExperimentRow.id)
        with self._read() as s:
            return [to_experiment(r) for r in s.scalars(query.limit(limit).offset(offset))]

    def count_experiments(self, *, status: ExperimentStatus | str | None = None) -> int:
        query = select(func.count()).select_from(ExperimentRow)
        if status is not None:
            query = query.where(ExperimentRow.status == str(status))
        with self._read() as s:
            return int(s.scalar(query) or 0)

    def update_experiment(
        self,
        experiment_id: str,
        *,
        expected_version: int | None = None,
        settings_patch: dict[str, Any] | None = None,
        **changes: Any,
    ) -> Experiment:
        """Change fields and merge ``settings_patch`` into the settings, atomically.

        With ``expected_version`` a stale version raises ConflictError (HTTP 409). Without it,
        the read-merge-write is retried until it lands on the version it read, so concurrent
        patches never lose an update.
        """
        pick(changes, _EXPERIMENT_FIELDS, "experiment")
        for _ in range(_MAX_RETRIES):
            current = self.get_experiment(experiment_id)
            if expected_version is not None and current.version != expected_version:
                raise ConflictError(
                    f"experiment {experiment_id!r} is at version {current.version}, "
                    f"not {expected_version}: reload and try again"
                )
            values = {k: str(v) if k == "status" else jsonable(v) for k, v in changes.items()}
            if settings_patch:
                values["settings"] = {**current.settings, **jsonable(settings_patch)}
            updated = self._conditional_update(
                experiment_id, values, ExperimentRow.version == current.version
            )
            if updated is not None:
                return updated
            if expected_version is not None:
                raise ConflictError(f"experiment {experiment_id!r} was changed concurrently")
        raise ConflictError(f"experiment {experiment_id!r}: too many concurrent updates")

    def transition_experiment(
        self,
        experiment_id: str,
        *,
        to: ExperimentStatus,
        allowed_from: Iterable[ExperimentStatus],
        **changes: Any,
    ) -> Experiment:
        """Move to status ``to`` only from one of ``allowed_from`` (else ConflictError)."""
        pick(changes, _EXPERIMENT_FIELDS, "experiment")
        sources = [str(st) for st in allowed_from]
        values = {**changes, "status": to.value}
        updated = self._conditional_update(
            experiment_id, values, ExperimentRow.status.in_(sources), run_follows=True
        )
        if updated is None:
            current = self.get_experiment(experiment_id)  # raises NotFoundError
            raise ConflictError(
                f"experiment {experiment_id!r} is {current.status.value}; cannot become {to.value}"
            )
        return updated

    def _conditional_update(
        self,
        experiment_id: str,
        values: dict[str, Any],
        condition: Any,
        *,
        run_follows: bool = False,
    ) -> Experiment | None:
        """Update when ``condition`` holds; with ``run_follows`` a move to running opens the
        next run and a move out of running closes the open one, in the same transaction."""
        statement = (
            update(ExperimentRow)
            .where(ExperimentRow.id == experiment_id, condition)
            .values(**values, version=ExperimentRow.version + 1, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        with self._write() as s:
            if s.execute(statement).rowcount != 1:  # type: ignore[attr-defined]
                return None
            row = self._get(s, ExperimentRow, experiment_id, "experiment")
            if run_follows and row.status == ExperimentStatus.RUNNING.value:
                _open_run(s, row)
            elif run_follows:
                _close_run(s, row, "best_model_id" in values)
            elif "job_id" in values:
                open_run = _open_run_row(s, experiment_id)
                if open_run is not None:
                    open_run.job_id = row.job_id
            return to_experiment(row)

    def delete_experiment(self, experiment_id: str) -> None:
        """Delete an experiment that is not running, with its trials."""
        with self._write() as s:
            row = self._get(s, ExperimentRow, experiment_id, "experiment")
            if row.status == ExperimentStatus.RUNNING.value:
                raise ConflictError(f"experiment {experiment_id!r} is running; stop it first")
            s.delete(row)

    # ----- trials ---------------------------------------------------------------------------
    # ----- runs -----------------------------------------------------------------------------
    def list_runs(self, experiment_id: str) -> list[Run]:
        """Every run of the experiment, newest first."""
        query = (
            select(RunRow)
            .where(RunRow.experiment_id == experiment_id)
            .order_by(RunRow.number.desc())
        )
        with self._read() as s:
            self._get(s, ExperimentRow, experiment_id, "experiment")
            return [to_run(r) for r in s.scalars(query)]

    def get_run(self, experiment_id: str, number: int | None = None) -> Run:
        """Run ``number`` (the latest when None); NotFoundError when there is none."""
        with self._read() as s:
            self._get(s, ExperimentRow, experiment_id, "experiment")
            number = _latest_run(s, experiment_id) if number is None else number
            row = s.scalar(
                select(RunRow).where(
                    RunRow.experiment_id == experiment_id, RunRow.number == number
                )
            )
            if row is None:
                raise NotFoundError(f"run {number} of experiment {experiment_id!r} does not exist")
            return to_run(row)

    def latest_run_number(self, experiment_id: str) -> int:
        """The number of the newest run (1 before the first run starts)."""
        with self._read() as s:
            return _latest_run(s, experiment_id)

    def set_run_model(self, experiment_id: str, number: int, model_id: str) -> None:
        """The model of run ``number`` (a run kept by a stop or resumed after a crash)."""
        with self._write() as s:
            row = s.scalar(
                select(RunRow).where(
                    RunRow.experiment_id == experiment_id, RunRow.number == number
                )
            )
            if row is None:
                raise NotFoundError(f"run {number} of experiment {experiment_id!r} does not exist")
            row.model_id = model_id

    # ----- trials ---------------------------------------------------------------------------
    def record_trial(
        self, experiment_id: str, record: TrialRecord, *, run: int | None = None
    ) -> Trial:
        """Insert or replace the trial numbered ``record.number`` of run ``run`` (the latest
        run when None); idempotent on resume."""
        values = trial_values(record)
        for attempt in range(2):
            try:
                with self._write() as s:
                    self._get(s, ExperimentRow, experiment_id, "experiment")
                    number = _latest_run(s, experiment_id) if run is None else run
                    row = s.scalar(
                        select(TrialRow).where(
                            TrialRow.experiment_id == experiment_id,
                            TrialRow.run == number,
                            TrialRow.number == record.number,
                        )
                    )
                    if row is None:
                        row = TrialRow(
                            id=new_id(),
                            experiment_id=experiment_id,
                            run=number,
                            number=record.number,
                            created_at=utcnow(),
                            **values,
                        )
                        s.add(row)
                    else:
                        for key, value in values.items():
                            setattr(row, key, value)
                return to_trial(row)
            except IntegrityError:  # a concurrent insert of the same number (PostgreSQL)
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def get_trial(self, experiment_id: str, number: int, *, run: int | None = None) -> Trial:
        """Trial ``number`` of run ``run`` (the latest run when None)."""
        with self._read() as s:
            run = _latest_run(s, experiment_id) if run is None else run
            row = s.scalar(
                select(TrialRow).where(
                    TrialRow.experiment_id == experiment_id,
                    TrialRow.run == run,
                    TrialRow.number == number,
                )
            )
            if row is None:
                raise NotFoundError(
                    f"trial {number} of experiment {experiment_id!r} does not exist"
                )
            return to_trial(row)

    def trial_summaries(self, experiment_ids: Iterable[str]) -> dict[str, tuple[int, Any, Any]]:
        """``{experiment id: (trial count, highest score, lowest score)}`` of each one's latest
        run, in two queries (for lists); experiments whose latest run has no trial are absent,
        scores are None when none is scored."""
        ids = list(dict.fromkeys(experiment_ids))
        if not ids:
            return {}
        latest_query = (
            select(RunRow.experiment_id, func.max(RunRow.number))
            .where(RunRow.experiment_id.in_(ids))
            .group_by(RunRow.experiment_id)
        )
        query = (
            select(
                TrialRow.experiment_id,
                TrialRow.run,
                func.count(),
                func.max(TrialRow.score),
                func.min(TrialRow.score),
            )
            .where(TrialRow.experiment_id.in_(ids))
            .group_by(TrialRow.experiment_id, TrialRow.run)
        )
        with self._read() as s:
            latest = {row[0]: int(row[1]) for row in s.execute(latest_query)}
            return {
                row[0]: (int(row[2]), row[3], row[4])
                for row in s.execute(query)
                if row[1] == latest.get(row[0], 1)
            }

    def dataset_names(self, dataset_ids: Iterable[str]) -> dict[str, str]:
        """``{dataset id: name}`` of those that exist, in one query."""
        ids = list(dict.fromkeys(dataset_ids))
        if not ids:
            return {}
        query = select(DatasetRow.id, DatasetRow.name).where(DatasetRow.id.in_(ids))
        with self._read() as s:
            return {row[0]: row[1] for row in s.execute(query)}

    def leaderboard_rows(
        self,
        experiment_id: str,
        *,
        greater_is_better: bool = True,
        limit: int | None = None,
        offset: int = 0,
        run: int | None = None,
    ) -> list[dict[str, Any]]:
        """:meth:`list_trials` as plain dicts of the leaderboard columns (no ORM objects:
        a 10,000-trial board reads several times faster)."""
        columns = tuple(getattr(TrialRow, name) for name in LEADERBOARD_COLUMNS)
        with self._read() as s:
            if s.get(ExperimentRow, experiment_id) is None:
                raise NotFoundError(f"experiment {experiment_id!r} does not exist")
            run = _latest_run(s, experiment_id) if run is None else run
            query = _leaderboard_query(
                columns, experiment_id, run, greater_is_better, limit, offset
            )
            rows = [dict(zip(LEADERBOARD_COLUMNS, row, strict=True)) for row in s.execute(query)]
        for row in rows:
            row["params"] = dict(row["params"] or {})
            row["reason"] = row["reason"] or ""
        return rows

    def leaderboard_raw(
        self,
        experiment_id: str,
        *,
        greater_is_better: bool = True,
        limit: int | None = None,
        offset: int = 0,
        run: int | None = None,
    ) -> list[tuple[Any, ...]]:
        """:meth:`leaderboard_rows` as tuples in ``leaderboard_columns`` order, with
        ``params`` left as the stored JSON text (None when NULL) and ``reason`` as stored.

        For answering big boards: decoding 10,000 params objects only to encode them again
        costs more than reading the rows.
        """
        columns = tuple(
            cast(TrialRow.params, Text) if name == "params" else getattr(TrialRow, name)
            for name in LEADERBOARD_COLUMNS
        )
        with self._read() as s:
            if s.get(ExperimentRow, experiment_id) is None:
                raise NotFoundError(f"experiment {experiment_id!r} does not exist")
            run = _latest_run(s, experiment_id) if run is None else run
            query = _leaderboard_query(
                columns, experiment_id, run, greater_is_better, limit, offset
            )
            # Core rows straight from the connection: the ORM's row loading costs ~2 µs a row
            return list(s.connection().execute(query).all())

    def count_trials(self, experiment_id: str, *, run: int | None = None) -> int:
        """Trials of run ``run`` (the latest run when None)."""
        query = select(func.count()).select_from(TrialRow)
        with self._read() as s:
            run = _latest_run(s, experiment_id) if run is None else run
            query = query.where(TrialRow.experiment_id == experiment_id, TrialRow.run == run)
            return int(s.scalar(query) or 0)

    def list_trials(
        self,
        experiment_id: str,
        *,
        greater_is_better: bool = True,
        limit: int | None = None,
        offset: int = 0,
        run: int | None = None,
    ) -> list[Trial]:
        """The leaderboard: best score first, trials without a score last."""
        with self._read() as s:
            if s.get(ExperimentRow, experiment_id) is None:
                raise NotFoundError(f"experiment {experiment_id!r} does not exist")
            run = _latest_run(s, experiment_id) if run is None else run
            query = _leaderboard_query(
                (TrialRow,), experiment_id, run, greater_is_better, limit, offset
            )
            return [to_trial(r) for r in s.scalars(query)]


def _latest_run(s: Session, experiment_id: str) -> int:
    """The newest run's number: the runs table's, else the trials' (1 when neither has any)."""
    number = s.scalar(select(func.max(RunRow.number)).where(RunRow.experiment_id == experiment_id))
    if number is None:
        number = s.scalar(
            select(func.max(TrialRow.run)).where(TrialRow.experiment_id == experiment_id)
        )
    return int(number or 1)


def _open_run_row(s: Session, experiment_id: str) -> RunRow | None:
    latest = s.scalar(
        select(RunRow)
        .where(RunRow.experiment_id == experiment_id)
        .order_by(RunRow.number.desc())
        .limit(1)
    )
    return latest if latest is not None and latest.status == "running" else None


def _open_run(s: Session, experiment: ExperimentRow) -> None:
    """Add the next run, with the settings it starts with (experiment now running)."""
    latest_trial = s.scalar(
        select(func.max(TrialRow.run)).where(TrialRow.experiment_id == experiment.id)
    )
    latest_run = s.scalar(
        select(func.max(RunRow.number)).where(RunRow.experiment_id == experiment.id)
    )
    number = max(int(latest_trial or 0), int(latest_run or 0)) + 1
    s.add(
        RunRow(
            id=new_id(),
            experiment_id=experiment.id,
            number=number,
            status=ExperimentStatus.RUNNING.value,
            settings=dict(experiment.settings or {}),
            task=experiment.task,
            metric=experiment.metric,
            job_id=experiment.job_id,
            model_id=None,
            error="",
            started_at=utcnow(),
            finished_at=None,
        )
    )


def _close_run(s: Session, experiment: ExperimentRow, with_model: bool) -> None:
    """The open run ends as the experiment did (status, error, task, metric, model)."""
    run = _open_run_row(s, experiment.id)
    if run is None:
        return
    run.status = experiment.status
    run.error = experiment.error or ""
    run.task = experiment.task
    run.metric = experiment.metric
    run.finished_at = utcnow()
    if with_model:
        run.model_id = experiment.best_model_id


def _leaderboard_query(
    columns: tuple[Any, ...],
    experiment_id: str,
    run: int,
    greater_is_better: bool,
    limit: int | None,
    offset: int,
) -> Any:
    """Best score first (in the metric's direction), unscored trials last, then by number."""
    score = TrialRow.score.desc() if greater_is_better else TrialRow.score.asc()
    query = (
        select(*columns)
        .where(TrialRow.experiment_id == experiment_id, TrialRow.run == run)
        .order_by(TrialRow.score.is_(None), score, TrialRow.number)
        .offset(offset)
    )
    return query if limit is None else query.limit(limit)


def trial_values(record: TrialRecord) -> dict[str, Any]:
    """The ``trials`` columns of ``record`` besides its ids, number and time (as stored)."""
    return {
        "family": record.family,
        "params": jsonable(record.params),
        "status": str(record.status),
        "score": jsonable(record.score),
        "score_std": jsonable(record.score_std),
        "fit_time": record.fit_time,
        "predict_time": record.predict_time,
        "source": record.source,
        "reason": record.reason,
        "host": record.host,
        "node_id": record.node_id,
    }
