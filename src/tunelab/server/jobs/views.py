"""``/api/v1/jobs`` and ``/api/v1/events``: job state, cancellation, events (JSON and SSE)."""

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from sse_starlette.sse import EventSourceResponse
from starlette.concurrency import run_in_threadpool

from tunelab.entities.platform import JobStatus
from tunelab.server.deps import SettingsDep, StoreDep
from tunelab.server.schemas import JobEventOut, JobOut, Limit, Offset, Page, RowId

router = APIRouter(tags=["jobs"])


@router.get("/jobs", response_model=Page[JobOut])
def list_jobs(
    store: StoreDep,
    status: JobStatus | None = None,
    kind: str | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Any:
    items = store.list_jobs(status=status, kind=kind, limit=limit, offset=offset)
    return {"items": items, "limit": limit, "offset": offset}


@router.get("/jobs/{job_id}", response_model=JobOut)
def get_job(job_id: str, store: StoreDep) -> Any:
    return store.get_job(job_id)


@router.post("/jobs/{job_id}/cancel", response_model=JobOut)
def cancel_job(job_id: str, store: StoreDep) -> Any:
    """Cancel a queued job at once; a running one stops within seconds."""
    return store.request_cancel(job_id)


@router.get("/jobs/{job_id}/events", response_model=list[JobEventOut])
def job_events(
    job_id: str,
    store: StoreDep,
    after_id: RowId = 0,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> Any:
    return store.list_job_events(job_id, after_id=after_id, limit=limit)


@router.get("/events/stream", response_class=EventSourceResponse)
async def stream_events(
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    job_id: str | None = None,
    after_id: RowId = 0,
    last_event_id: str | None = Header(default=None),
) -> EventSourceResponse:
    """Server-Sent Events: every job event (or one job's) as it is written.

    Each event's ``id`` is the event row id, so a reconnecting client (``Last-Event-ID``)
    continues where it stopped. With ``job_id``, the stream ends after the job ends.
    """
    if job_id is not None:
        await run_in_threadpool(store.get_job, job_id)  # 404 before streaming
    cursor = int(last_event_id) if last_event_id and last_event_id.isdigit() else after_id

    async def events() -> AsyncIterator[dict[str, Any]]:
        nonlocal cursor
        while not await request.is_disconnected():
            batch = await run_in_threadpool(
                store.list_job_events, job_id, after_id=cursor, limit=500
            )
            for event in batch:
                cursor = event.id
                payload = {
                    "job_id": event.job_id,
                    "kind": event.kind,
                    "data": event.data,
                    "created_at": event.created_at.isoformat(),
                }
                yield {"id": str(event.id), "event": event.kind, "data": json.dumps(payload)}
            if job_id is not None and not batch:
                job = await run_in_threadpool(store.get_job, job_id)
                if job.status.is_final:
                    return
            if not batch:
                await asyncio.sleep(settings.sse_poll_seconds)

    return EventSourceResponse(events())
