"""The job queue: enqueue, claim under a lease, heartbeat, finish, cancel; job events."""

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tunelab.entities.platform import Job, JobEvent, JobStatus, LeaseLostError, NotFoundError
from tunelab.tracking._base import StoreBase, new_id, to_event, to_job
from tunelab.tracking._json import jsonable
from tunelab.tracking._orm import JobEventRow, JobRow, utcnow

_QUEUED = JobStatus.QUEUED.value
_RUNNING = JobStatus.RUNNING.value


class QueueStoreMixin(StoreBase):
    def enqueue_job(self, kind: str, payload: dict[str, Any], *, max_attempts: int = 3) -> Job:
        """Queue a job of ``kind``; ``max_attempts`` bounds takeovers after lost leases."""
        now = utcnow()
        row = JobRow(
            id=new_id(),
            kind=kind,
            payload=jsonable(payload),
            status=_QUEUED,
            attempts=0,
            max_attempts=max_attempts,
            cancel_requested=False,
            error="",
            created_at=now,
        )
        with self._write() as s:
            s.add(row)
            s.flush()
            s.add(JobEventRow(job_id=row.id, kind="queued", data={"kind": kind}, created_at=now))
        return to_job(row)

    def get_job(self, job_id: str) -> Job:
        with self._read() as s:
            return to_job(self._get(s, JobRow, job_id, "job"))

    def list_jobs(
        self,
        *,
        status: JobStatus | str | None = None,
        kind: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[Job]:
        query = select(JobRow)
        if status is not None:
            query = query.where(JobRow.status == str(status))
        if kind is not None:
            query = query.where(JobRow.kind == kind)
        query = query.order_by(JobRow.created_at.desc(), JobRow.id).limit(limit).offset(offset)
        with self._read() as s:
            return [to_job(r) for r in s.scalars(query)]

    def claim_next_job(
        self, owner: str, *, lease_seconds: float, kinds: Sequence[str] | None = None
    ) -> Job | None:
        """Take the oldest queued job (re-queueing expired leases first), or None.

        Atomic across processes: SQLite write transactions start with ``BEGIN IMMEDIATE``;
        PostgreSQL skips rows another worker is locking (``FOR UPDATE SKIP LOCKED``).
        """
        now = utcnow()
        with self._write() as s:
            self._expire_leases(s)
            query = select(JobRow.id).where(JobRow.status == _QUEUED)
            if kinds is not None:
                query = query.where(JobRow.kind.in_(list(kinds)))
            query = query.order_by(JobRow.created_at, JobRow.id).limit(1)
            job_id = s.scalar(query.with_for_update(skip_locked=True))
            if job_id is None:
                return None
            claimed = s.execute(
                update(JobRow)
                .where(JobRow.id == job_id, JobRow.status == _QUEUED)
                .values(
                    status=_RUNNING,
                    lease_owner=owner,
                    lease_expires_at=now + timedelta(seconds=lease_seconds),
                    heartbeat_at=now,
                    attempts=JobRow.attempts + 1,
                    started_at=now,
                )
                .execution_options(synchronize_session=False)
            )
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                return None
            row = self._get(s, JobRow, job_id, "job")
            s.refresh(row)
            s.add(
                JobEventRow(
                    job_id=job_id,
                    kind="claimed",
                    data={"worker": owner, "attempt": row.attempts},
                    created_at=now,
                )
            )
            return to_job(row)

    def _expire_leases(self, s: Session) -> None:
        now = utcnow()
        expired = list(
            s.scalars(
                select(JobRow)
                .where(JobRow.status == _RUNNING, JobRow.lease_expires_at < now)
                .with_for_update(skip_locked=True)
            )
        )
        for row in expired:
            give_up = row.attempts >= row.max_attempts or row.cancel_requested
            data = {"worker": row.lease_owner, "attempt": row.attempts}
            row.lease_owner = None
            row.lease_expires_at = None
            if row.cancel_requested:
                row.status, row.finished_at = JobStatus.CANCELLED.value, now
            elif give_up:
                row.status, row.finished_at = JobStatus.FAILED.value, now
                row.error = f"the worker lease expired {row.attempts} time(s); giving up"
            else:
                row.status = _QUEUED
            s.add(JobEventRow(job_id=row.id, kind="lease_expired", data=data, created_at=now))
            if row.status != _QUEUED:
                s.add(JobEventRow(job_id=row.id, kind=row.status, data={}, created_at=now))

    def heartbeat_job(self, job_id: str, owner: str, *, lease_seconds: float) -> bool:
        """Extend the lease; returns whether cancellation was requested.

        Raises LeaseLostError when ``owner`` no longer holds the job.
        """
        now = utcnow()
        with self._write() as s:
            result = s.execute(
                update(JobRow)
                .where(JobRow.id == job_id, JobRow.lease_owner == owner, JobRow.status == _RUNNING)
                .values(heartbeat_at=now, lease_expires_at=now + timedelta(seconds=lease_seconds))
                .execution_options(synchronize_session=False)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                raise LeaseLostError(f"worker {owner!r} no longer holds job {job_id!r}")
            return bool(s.scalar(select(JobRow.cancel_requested).where(JobRow.id == job_id)))

    def expire_leases_of(self, owner: str) -> int:
        """End the leases ``owner`` holds now (its process is known to be dead), so the next
        claim takes its jobs over at once instead of after the lease time; returns how many."""
        expired = utcnow() - timedelta(seconds=1)
        with self._write() as s:
            result = s.execute(
                update(JobRow)
                .where(JobRow.lease_owner == owner, JobRow.status == _RUNNING)
                .values(lease_expires_at=expired)
                .execution_options(synchronize_session=False)
            )
            return int(result.rowcount)  # type: ignore[attr-defined]

    def busy_workers(self) -> list[str]:
        """Owners of running jobs whose lease is still alive (a worker runs one job at a time)."""
        query = (
            select(JobRow.lease_owner)
            .where(
                JobRow.status == _RUNNING,
                JobRow.lease_owner.is_not(None),
                JobRow.lease_expires_at >= utcnow(),
            )
            .distinct()
        )
        with self._read() as s:
            return sorted(str(owner) for owner in s.scalars(query))

    def is_cancel_requested(self, job_id: str) -> bool:
        with self._read() as s:
            return bool(self._get(s, JobRow, job_id, "job").cancel_requested)

    def finish_job(
        self,
        job_id: str,
        owner: str,
        status: JobStatus | str,
        *,
        result: dict[str, Any] | None = None,
        error: str = "",
    ) -> Job:
        """Record the end of a job run by ``owner`` (LeaseLostError if it was taken over)."""
        status = JobStatus(status)
        if not status.is_final:
            raise ValueError(f"{status} is not a final job status")
        now = utcnow()
        with self._write() as s:
            done = s.execute(
                update(JobRow)
                .where(JobRow.id == job_id, JobRow.lease_owner == owner, JobRow.status == _RUNNING)
                .values(
                    status=status.value,
                    result=jsonable(result),
                    error=error,
                    finished_at=now,
                    lease_owner=None,
                    lease_expires_at=None,
                )
                .execution_options(synchronize_session=False)
            )
            if done.rowcount != 1:  # type: ignore[attr-defined]
                raise LeaseLostError(f"worker {owner!r} no longer holds job {job_id!r}")
            data = {"error": error} if error else {}
            s.add(JobEventRow(job_id=job_id, kind=status.value, data=data, created_at=now))
            row = self._get(s, JobRow, job_id, "job")
            s.refresh(row)
            return to_job(row)

    def release_job(self, job_id: str, owner: str) -> Job:
        """Give a running job back to the queue (its worker is shutting down)."""
        now = utcnow()
        with self._write() as s:
            released = s.execute(
                update(JobRow)
                .where(JobRow.id == job_id, JobRow.lease_owner == owner, JobRow.status == _RUNNING)
                .values(
                    status=_QUEUED,
                    lease_owner=None,
                    lease_expires_at=None,
                    attempts=JobRow.attempts - 1,
                )
                .execution_options(synchronize_session=False)
            )
            if released.rowcount != 1:  # type: ignore[attr-defined]
                raise LeaseLostError(f"worker {owner!r} no longer holds job {job_id!r}")
            s.add(
                JobEventRow(job_id=job_id, kind="released", data={"worker": owner}, created_at=now)
            )
            row = self._get(s, JobRow, job_id, "job")
            s.refresh(row)
            return to_job(row)

    def request_cancel(self, job_id: str) -> Job:
        """Cancel a queued job at once; flag a running one (its worker stops it)."""
        now = utcnow()
        with self._write() as s:
            row = self._get(s, JobRow, job_id, "job")
            if row.status == _QUEUED:
                row.status, row.finished_at = JobStatus.CANCELLED.value, now
                s.add(JobEventRow(job_id=job_id, kind="cancelled", data={}, created_at=now))
            elif row.status == _RUNNING and not row.cancel_requested:
                row.cancel_requested = True
                s.add(JobEventRow(job_id=job_id, kind="cancel_requested", data={}, created_at=now))
            return to_job(row)

    # ----- events ---------------------------------------------------------------------------
    def add_job_event(
        self, job_id: str, kind: str, data: dict[str, Any] | None = None
    ) -> JobEvent:
        row = JobEventRow(job_id=job_id, kind=kind, data=jsonable(data or {}), created_at=utcnow())
        with self._write() as s:
            self._get(s, JobRow, job_id, "job")
            s.add(row)
        return to_event(row)

    def list_job_events(
        self, job_id: str | None = None, *, after_id: int = 0, limit: int = 500
    ) -> list[JobEvent]:
        """Events in order of id, after ``after_id`` (all jobs when ``job_id`` is None)."""
        query = select(JobEventRow).where(JobEventRow.id > after_id)
        if job_id is not None:
            query = query.where(JobEventRow.job_id == job_id)
        query = query.order_by(JobEventRow.id).limit(limit)
        with self._read() as s:
            if job_id is not None and s.get(JobRow, job_id) is None:
                raise NotFoundError(f"job {job_id!r} does not exist")
            return [to_event(r) for r in s.scalars(query)]
