"""``/api/v1/deployments/{id}/batch/{job_id}``: a batch prediction's progress and its result
table as CSV or Parquet (the job is queued by ``POST /deployments/{id}/batch``)."""

from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from tunelab.entities.artifact_keys import predictions_key
from tunelab.entities.platform import Job, JobKind, JobStatus, NotFoundError
from tunelab.server.deps import ArtifactsDep, StoreDep

router = APIRouter(prefix="/deployments", tags=["deployments"])
MEDIA = {"csv": "text/csv", "parquet": "application/vnd.apache.parquet"}


def _batch_job(store: Any, deployment_id: str, job_id: str) -> Job:
    store.get_deployment(deployment_id)
    job: Job = store.get_job(job_id)
    if job.kind != JobKind.BATCH_PREDICT or job.payload.get("deployment_id") != deployment_id:
        raise NotFoundError(f"deployment {deployment_id} has no batch prediction {job_id!r}")
    return job


@router.get("/{deployment_id}/batch/{job_id}")
def batch_status(deployment_id: str, job_id: str, store: StoreDep) -> dict[str, Any]:
    """Status, step, rows done of total, error, and the result's download URLs once done."""
    job = _batch_job(store, deployment_id, job_id)
    done = total = None
    for event in reversed(store.list_job_events(job_id, limit=10_000)):
        if event.kind == "progress" and "total" in event.data:
            done, total = event.data.get("done"), event.data.get("total")
            break
    status = JobStatus(job.status)
    base = f"/api/v1/deployments/{deployment_id}/batch/{job_id}/result"
    ready = status is JobStatus.SUCCEEDED
    return {
        "job_id": job.id,
        "dataset_id": job.payload.get("dataset_id"),
        "status": status.value,
        "done": done,
        "total": total,
        "n_rows": (job.result or {}).get("n_rows"),
        "error": job.error,
        "downloads": {fmt: f"{base}.{fmt}" for fmt in MEDIA} if ready else {},
    }


@router.get("/{deployment_id}/batch/{job_id}/result.{fmt}", response_class=StreamingResponse)
def batch_result(
    deployment_id: str,
    job_id: str,
    fmt: Literal["csv", "parquet"],
    store: StoreDep,
    artifacts: ArtifactsDep,
) -> Any:
    """The predictions table (input columns, ``prediction``, ``proba_<label>``)."""
    job = _batch_job(store, deployment_id, job_id)
    key = predictions_key(job.id, fmt)
    if JobStatus(job.status) is not JobStatus.SUCCEEDED or not artifacts.exists(key):
        raise NotFoundError(f"batch prediction {job_id} has no {fmt} result (yet)")
    return StreamingResponse(
        artifacts.iter_chunks(key),
        media_type=MEDIA[fmt],
        headers={"Content-Disposition": f'attachment; filename="predictions-{job_id}.{fmt}"'},
    )
