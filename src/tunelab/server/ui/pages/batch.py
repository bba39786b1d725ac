"""``/deployments/{id}/batch``: score a whole uploaded file with a deployment, watch its
progress, download the result as CSV or Parquet."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from tunelab.entities.platform import JobKind
from tunelab.server.deps import StoreDep
from tunelab.server.ui.rendering import render

router = APIRouter(include_in_schema=False)
RECENT = 10


@router.get("/deployments/{deployment_id}/batch", response_class=HTMLResponse)
def batch_page(deployment_id: str, request: Request, store: StoreDep) -> HTMLResponse:
    deployment = store.get_deployment(deployment_id)
    model = store.get_model(deployment.model_id)
    jobs = [
        job
        for job in store.list_jobs(kind=JobKind.BATCH_PREDICT, limit=200)
        if job.payload.get("deployment_id") == deployment_id
    ][:RECENT]
    context: dict[str, Any] = {"deployment": deployment, "model": model, "jobs": jobs}
    return render(request, "deployments/batch.html", context)
