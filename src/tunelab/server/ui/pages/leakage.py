"""The leakage check before a run, on the Columns and Setup pages: ``/experiments/{id}/leakage``
(an HTMX fragment) and ``.../leakage/exclude`` (untick the columns the user confirmed)."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from tunelab.entities.errors import TunelabError, public_message
from tunelab.server.datasets.column_settings import merge_changes
from tunelab.server.datasets.leakage import leakage_check
from tunelab.server.deps import ArtifactsDep, StoreDep
from tunelab.server.ui.rendering import render_fragment

router = APIRouter(include_in_schema=False)
PAGES = ("columns", "setup")


def _page(next_page: str | None) -> str:
    return next_page if next_page in PAGES else "columns"


@router.get("/experiments/{experiment_id}/leakage", response_class=HTMLResponse)
async def leakage_fragment(
    request: Request,
    experiment_id: str,
    store: StoreDep,
    artifacts: ArtifactsDep,
    next: str | None = None,
) -> HTMLResponse:
    experiment = await run_in_threadpool(store.get_experiment, experiment_id)
    dataset = await run_in_threadpool(store.get_dataset, experiment.dataset_id)
    context: dict[str, Any] = {
        "experiment_id": experiment_id,
        "target": experiment.target,
        "next": _page(next),
        "suspects": [],
        "error": "",
    }
    try:
        found = await run_in_threadpool(
            leakage_check,
            store,
            artifacts,
            dataset.id,
            experiment.target,
            experiment.task or None,
        )
    except TunelabError as exc:
        context["error"] = public_message(exc)
        return render_fragment(request, "dataset/_leakage.html", context)
    settings = dataset.column_settings
    context["suspects"] = [
        {**item, "used": (settings.get(item["column"]) or {}).get("use", True) is not False}
        for item in found["columns"]
    ]
    return render_fragment(request, "dataset/_leakage.html", context)


@router.post("/experiments/{experiment_id}/leakage/exclude")
async def exclude_suspects(
    request: Request,
    experiment_id: str,
    store: StoreDep,
    next: str | None = None,
) -> RedirectResponse:
    """Untick (``use`` = false) the suspicious columns the user confirmed."""
    experiment = await run_in_threadpool(store.get_experiment, experiment_id)
    dataset = await run_in_threadpool(store.get_dataset, experiment.dataset_id)
    form = await request.form()
    columns = [str(c) for c in form.getlist("columns")]
    merged = merge_changes(dataset, {c: {"use": False} for c in columns})
    await run_in_threadpool(store.update_dataset, dataset.id, column_settings=merged)
    page = _page(next)
    return RedirectResponse(
        f"/experiments/{experiment_id}/{page}?excluded={len(columns)}", status_code=303
    )
