"""New experiment: pick a dataset (upload, S3 URL, recent file, sample), then create it."""

from pathlib import PurePosixPath
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from tunelab.entities.errors import TunelabError
from tunelab.entities.platform import Dataset, Job, JobKind, NotFoundError
from tunelab.server.deps import SettingsDep, StoreDep
from tunelab.server.errors import FieldError
from tunelab.server.experiments.schemas import ExperimentIn
from tunelab.server.experiments.views import create_experiment
from tunelab.server.ui.i18n import request_language, translate
from tunelab.server.ui.labels import sample_text
from tunelab.server.ui.rendering import render, render_fragment
from tunelab.tracking import MetadataStore

router = APIRouter(include_in_schema=False)

CHUNKED_ABOVE_BYTES = 32 * 1024 * 1024
RECENT_LIMIT = 10
OPTIONAL_ENDPOINTS = {
    "uploads": "/api/v1/uploads",
    "import": "/api/v1/datasets/import",
    "samples": "/api/v1/datasets/samples",
}


def available_endpoints(request: Request) -> dict[str, bool]:
    """Which optional dataset endpoints this server has (the page hides the others)."""
    paths = request.app.openapi().get("paths", {})
    return {name: path in paths for name, path in OPTIONAL_ENDPOINTS.items()}


def _samples() -> list[dict[str, Any]]:
    from tunelab.server.datasets.samples import list_samples

    return list_samples()


def _extensions() -> list[str]:
    from tunelab.data import SUPPORTED_EXTENSIONS

    return sorted(SUPPORTED_EXTENSIONS)


@router.get("/experiments/new", response_class=HTMLResponse)
async def new_experiment_page(
    request: Request, store: StoreDep, settings: SettingsDep
) -> HTMLResponse:
    recent = await run_in_threadpool(store.list_datasets, limit=RECENT_LIMIT)
    endpoints = available_endpoints(request)
    lang = request_language(request)
    context = {
        "recent": recent,
        "samples": [sample_text(lang, s) for s in _samples()] if endpoints["samples"] else [],
        "endpoints": endpoints,
        "extensions": _extensions(),
        "max_upload_bytes": settings.max_upload_bytes,
        "chunked_above": CHUNKED_ABOVE_BYTES,
    }
    return render(request, "experiments/new.html", context)


def _parse_job(store: MetadataStore, dataset_id: str, job_id: str | None) -> Job | None:
    """The parse job of a dataset: the given id, else the newest one naming the dataset."""
    if job_id:
        try:
            return store.get_job(job_id)
        except NotFoundError:
            return None
    for job in store.list_jobs(kind=JobKind.PARSE_PROFILE, limit=500):
        if job.payload.get("dataset_id") == dataset_id:
            return job
    return None


def _columns(dataset: Dataset) -> list[str]:
    profile = dataset.profile or {}
    return [str(c.get("name")) for c in profile.get("columns", []) if c.get("name") is not None]


def _default_name(dataset: Dataset) -> str:
    return PurePosixPath(dataset.name).stem or dataset.name


def panel_context(
    store: MetadataStore, dataset_id: str, job_id: str | None, target: str = ""
) -> dict[str, Any]:
    """State of the chosen dataset: still profiling, failed, or ready to create on.

    ``target`` (a sample's known target) is preselected when the dataset has that column.
    """
    dataset = store.get_dataset(dataset_id)
    job = None if dataset.profile is not None else _parse_job(store, dataset_id, job_id)
    if dataset.profile is not None:
        state = "ready"
    elif job is not None and job.status.is_final:
        state = "failed"
    else:
        state = "profiling"
    return {
        "dataset": dataset,
        "job": job,
        "job_id": job.id if job else job_id,
        "state": state,
        "columns": _columns(dataset),
        "target_hint": target,
        "form": {"name": _default_name(dataset), "target": target},
        "errors": {},
    }


@router.get("/experiments/new/dataset/{dataset_id}", response_class=HTMLResponse)
async def dataset_panel(
    request: Request,
    dataset_id: str,
    store: StoreDep,
    job_id: str | None = None,
    target: str = "",
) -> HTMLResponse:
    """The chosen dataset's panel (polls itself while the parse job runs)."""
    try:
        context = await run_in_threadpool(panel_context, store, dataset_id, job_id, target)
    except NotFoundError:
        lang = request_language(request)
        text = translate(lang, "experiments.dataset_missing", id=dataset_id)
        return render_fragment(
            request, "experiments/_dataset.html", {"state": "missing", "error": text}
        )
    return render_fragment(request, "experiments/_dataset.html", context)


def _field_errors(exc: ValidationError | FieldError) -> dict[str, str]:
    items = exc.errors() if isinstance(exc, ValidationError) else exc.errors
    found: dict[str, str] = {}
    for item in items:
        loc = [str(part) for part in item.get("loc", ())]
        name = loc[-1] if loc else "form"
        found.setdefault(name if name in ("name", "target") else "form", str(item.get("msg")))
    return found


@router.post("/experiments/new", response_class=HTMLResponse)
async def create_from_form(
    request: Request,
    store: StoreDep,
    server: SettingsDep,
    dataset_id: Annotated[str, Form()],
    name: Annotated[str, Form()] = "",
    target: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """Create the experiment (the REST view's rules); errors come back in the form."""
    body: dict[str, Any] = {"dataset_id": dataset_id, "name": name.strip() or None}
    if target:
        body["target"] = target
    errors: dict[str, str]
    try:
        created = await run_in_threadpool(
            lambda: create_experiment(ExperimentIn.model_validate(body), store, server)
        )
    except (ValidationError, FieldError) as exc:
        errors = _field_errors(exc)
    except (TunelabError, HTTPException) as exc:
        errors = {"form": exc.detail if isinstance(exc, HTTPException) else str(exc)}
    else:
        response = HTMLResponse("", status_code=200)
        root = request.scope.get("root_path", "")
        response.headers["HX-Redirect"] = f"{root}/experiments/{created.id}/setup"
        return response
    try:
        context = await run_in_threadpool(panel_context, store, dataset_id, None)
    except NotFoundError:
        lang = request_language(request)
        text = translate(lang, "experiments.dataset_missing", id=dataset_id)
        return render_fragment(
            request, "experiments/_dataset.html", {"state": "missing", "error": text}
        )
    context.update(form={"name": name, "target": target}, errors=errors)
    return render_fragment(request, "experiments/_dataset.html", context)
