"""Datasets, experiments (optimistic locking, status transitions) and trials."""

from collections.abc import Iterable
from typing import Any, ClassVar

from sqlalchemy import Text, cast, func, select, update
from sqlalchemy.exc import IntegrityError

from tunelab.entities.auth import ResourceKind
from tunelab.entities.platform import (
    ConflictError,
    Dataset,
    Experiment,
    ExperimentStatus,
    NotFoundError,
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
    to_trial,
)
from tunelab.tracking._json import jsonable
from tunelab.tracking._orm import DatasetRow, ExperimentRow, TrialRow, utcnow

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
            experiment_id, values, ExperimentRow.status.in_(sources)
        )
        if updated is None:
            current = self.get_experiment(experiment_id)  # raises NotFoundError
            raise ConflictError(
                f"experiment {experiment_id!r} is {current.status.value}; cannot become {to.value}"
            )
        return updated

    def _conditional_update(
        self, experiment_id: str, values: dict[str, Any], condition: Any
    ) -> Experiment | None:
        statement = (
            update(ExperimentRow)
            .where(ExperimentRow.id == experiment_id, condition)
            .values(**values, version=ExperimentRow.version + 1, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        with self._write() as s:
            if s.execute(statement).rowcount != 1:  # type: ignore[attr-defined]
                return None
            return to_experiment(self._get(s, ExperimentRow, experiment_id, "experiment"))

    def delete_experiment(self, experiment_id: str) -> None:
        """Delete an experiment that is not running, with its trials."""
        with self._write() as s:
            row = self._get(s, ExperimentRow, experiment_id, "experiment")
            if row.status == ExperimentStatus.RUNNING.value:
                raise ConflictError(f"experiment {experiment_id!r} is running; stop it first")
            s.delete(row)

    # ----- trials ---------------------------------------------------------------------------
    def record_trial(self, experiment_id: str, record: TrialRecord) -> Trial:
        """Insert or replace the trial numbered ``record.number`` (idempotent on resume)."""
        values = trial_values(record)
        for attempt in range(2):
            try:
                with self._write() as s:
                    self._get(s, ExperimentRow, experiment_id, "experiment")
                    row = s.scalar(
                        select(TrialRow).where(
                            TrialRow.experiment_id == experiment_id,
                            TrialRow.number == record.number,
                        )
                    )
                    if row is None:
                        row = TrialRow(
                            id=new_id(),
                            experiment_id=experiment_id,
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

    def get_trial(self, experiment_id: str, number: int) -> Trial:
        query = select(TrialRow).where(
            TrialRow.experiment_id == experiment_id, TrialRow.number == number
        )
        with self._read() as s:
            row = s.scalar(query)
            if row is None:
                raise NotFoundError(
                    f"trial {number} of experiment {experiment_id!r} does not exist"
                )
            return to_trial(row)

    def trial_summaries(self, experiment_ids: Iterable[str]) -> dict[str, tuple[int, Any, Any]]:
        """``{experiment id: (trial count, highest score, lowest score)}`` in one query (for
        lists); experiments without trials are absent, scores are None when none is scored."""
        ids = list(dict.fromkeys(experiment_ids))
        if not ids:
            return {}
        query = (
            select(
                TrialRow.experiment_id,
                func.count(),
                func.max(TrialRow.score),
                func.min(TrialRow.score),
            )
            .where(TrialRow.experiment_id.in_(ids))
            .group_by(TrialRow.experiment_id)
        )
        with self._read() as s:
            return {row[0]: (int(row[1]), row[2], row[3]) for row in s.execute(query)}

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
    ) -> list[dict[str, Any]]:
        """:meth:`list_trials` as plain dicts of the leaderboard columns (no ORM objects:
        a 10,000-trial board reads several times faster)."""
        columns = tuple(getattr(TrialRow, name) for name in LEADERBOARD_COLUMNS)
        query = _leaderboard_query(columns, experiment_id, greater_is_better, limit, offset)
        with self._read() as s:
            if s.get(ExperimentRow, experiment_id) is None:
                raise NotFoundError(f"experiment {experiment_id!r} does not exist")
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
        query = _leaderboard_query(columns, experiment_id, greater_is_better, limit, offset)
        with self._read() as s:
            if s.get(ExperimentRow, experiment_id) is None:
                raise NotFoundError(f"experiment {experiment_id!r} does not exist")
            # Core rows straight from the connection: the ORM's row loading costs ~2 µs a row
            return list(s.connection().execute(query).all())

    def count_trials(self, experiment_id: str) -> int:
        query = select(func.count()).select_from(TrialRow)
        with self._read() as s:
            return int(s.scalar(query.where(TrialRow.experiment_id == experiment_id)) or 0)

    def list_trials(
        self,
        experiment_id: str,
        *,
        greater_is_better: bool = True,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Trial]:
        """The leaderboard: best score first, trials without a score last."""
        query = _leaderboard_query((TrialRow,), experiment_id, greater_is_better, limit, offset)
        with self._read() as s:
            if s.get(ExperimentRow, experiment_id) is None:
                raise NotFoundError(f"experiment {experiment_id!r} does not exist")
            return [to_trial(r) for r in s.scalars(query)]


def _leaderboard_query(
    columns: tuple[Any, ...],
    experiment_id: str,
    greater_is_better: bool,
    limit: int | None,
    offset: int,
) -> Any:
    """Best score first (in the metric's direction), unscored trials last, then by number."""
    score = TrialRow.score.desc() if greater_is_better else TrialRow.score.asc()
    query = (
        select(*columns)
        .where(TrialRow.experiment_id == experiment_id)
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
    }
