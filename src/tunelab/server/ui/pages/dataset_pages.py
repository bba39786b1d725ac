"""Pages of an experiment's dataset: Columns (settings), Preview and EDA."""

import json
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from tunelab.entities.errors import TunelabError, public_message
from tunelab.entities.platform import Dataset, Experiment, JobKind, JobStatus
from tunelab.server.datasets import eda
from tunelab.server.datasets.column_settings import (
    CHOICES,
    allowed_values,
    changes_of,
    defaults,
    merge_changes,
    profile_columns,
    proposal,
)
from tunelab.server.datasets.column_undo import apply_with_undo, can_undo, undo
from tunelab.server.datasets.preview import preview_table
from tunelab.server.deps import ArtifactsDep, StoreDep
from tunelab.server.errors import FieldError
from tunelab.server.ui.rendering import render, render_fragment
from tunelab.tracking import MetadataStore

router = APIRouter(include_in_schema=False)

SPARK_W, SPARK_H = 96, 24
EDITABLE = ("kind", "imputation", "outliers", "transformation")


@dataclass(frozen=True)
class ColumnRow:
    """One line of the Columns table: profile facts, current settings, any error."""

    index: int
    name: str
    profile: dict[str, Any]
    settings: dict[str, Any]
    is_target: bool
    bars: list[tuple[float, float, float, float]]
    error: str = ""
    error_field: str = ""


def sparkline(counts: list[Any]) -> list[tuple[float, float, float, float]]:
    """Bars ``(x, y, width, height)`` of a tiny histogram inside a SPARK_W x SPARK_H box."""
    values = [max(0.0, float(c or 0)) for c in counts][:40]
    top = max(values, default=0.0)
    if not values or top <= 0:
        return []
    width = SPARK_W / len(values)
    bars = []
    for i, value in enumerate(values):
        height = max(1.0, SPARK_H * value / top) if value else 0.0
        bars.append(
            (
                round(i * width, 2),
                round(SPARK_H - height, 2),
                round(width * 0.85, 2),
                round(height, 2),
            )
        )
    return bars


def _load(store: MetadataStore, experiment_id: str) -> tuple[Experiment, Dataset]:
    experiment = store.get_experiment(experiment_id)
    return experiment, store.get_dataset(experiment.dataset_id)


def _rows(
    experiment: Experiment, dataset: Dataset, overrides: dict[str, dict[str, Any]] | None = None
) -> list[ColumnRow]:
    rows = []
    for index, (name, profile) in enumerate(profile_columns(dataset).items()):
        settings = {**defaults(profile["kind"]), **dataset.column_settings.get(name, {})}
        settings.update((overrides or {}).get(name, {}))
        histogram = profile.get("histogram") or [[], []]
        counts = histogram[1] if len(histogram) > 1 else []
        rows.append(
            ColumnRow(index, name, profile, settings, name == experiment.target, sparkline(counts))
        )
    return rows


def profile_job(store: MetadataStore, dataset_id: str) -> Any:
    """The newest parse+profile job of the dataset (to show a failure), if any."""
    for job in store.list_jobs(kind=JobKind.PARSE_PROFILE, limit=100):
        if job.payload.get("dataset_id") == dataset_id:
            return job
    return None


def _columns_context(
    experiment: Experiment, dataset: Dataset, rows: list[ColumnRow], **extra: Any
) -> dict[str, Any]:
    kinds = CHOICES["kind"]
    return {
        "experiment": experiment,
        "dataset": dataset,
        "active": "columns",
        "rows": rows,
        "choices": CHOICES,
        "allowed": {kind: allowed_values(kind) for kind in kinds},
        "spark": {"w": SPARK_W, "h": SPARK_H},
        **extra,
    }


@router.get("/experiments/{experiment_id}/columns", response_class=HTMLResponse)
async def columns_page(
    request: Request, experiment_id: str, store: StoreDep, artifacts: ArtifactsDep
) -> HTMLResponse:
    experiment, dataset = await run_in_threadpool(_load, store, experiment_id)
    messages = []
    if request.query_params.get("saved"):
        messages.append({"level": "success", "text": _t(request, "dataset.saved")})
    if request.query_params.get("recommended"):
        messages.append({"level": "success", "text": _t(request, "dataset.recommended")})
    if request.query_params.get("undone"):
        messages.append({"level": "success", "text": _t(request, "dataset.undone")})
    excluded = request.query_params.get("excluded")
    if excluded and excluded.isdigit():
        text = _t(request, "dataset.leakage_excluded", n=int(excluded))
        messages.append({"level": "success", "text": text})
    job = None if dataset.profile else await run_in_threadpool(profile_job, store, dataset.id)
    can = await run_in_threadpool(can_undo, artifacts, dataset.id)
    context = _columns_context(
        experiment,
        dataset,
        _rows(experiment, dataset),
        messages=messages,
        profile_job=job,
        can_undo=can,
    )
    return render(request, "dataset/columns.html", context)


@router.get("/experiments/{experiment_id}/profile-status", response_class=HTMLResponse)
async def profile_status(request: Request, experiment_id: str, store: StoreDep) -> HTMLResponse:
    """Polled while the dataset is being profiled; reloads the page once the profile exists."""
    _, dataset = await run_in_threadpool(_load, store, experiment_id)
    job = await run_in_threadpool(profile_job, store, dataset.id)
    context = {"dataset": dataset, "profile_job": job, "experiment_id": experiment_id}
    response = render_fragment(request, "dataset/_profiling.html", context)
    if dataset.profile is not None or (job is not None and job.status is JobStatus.FAILED):
        response.headers["HX-Refresh"] = "true"
    return response


def _t(request: Request, key: str, **kwargs: Any) -> str:
    from tunelab.server.ui.i18n import request_language, translate

    return translate(request_language(request), key, **kwargs)


def _form_changes(form: Any, dataset: Dataset) -> dict[str, dict[str, Any]]:
    """``{column: settings}`` from the submitted table (fields ``<setting>__<row index>``)."""
    from tunelab.data import DICTIONARY_FIELDS

    changes: dict[str, dict[str, Any]] = {}
    for index, name in enumerate(profile_columns(dataset)):
        if f"kind__{index}" not in form:
            continue
        values: dict[str, Any] = {"use": form.get(f"use__{index}") == "on"}
        for field in DICTIONARY_FIELDS:
            if f"{field}__{index}" in form:
                values[field] = str(form[f"{field}__{index}"]).strip()
        for setting in EDITABLE:
            if f"{setting}__{index}" in form:
                values[setting] = str(form[f"{setting}__{index}"])
        changes[name] = values
    return changes


@router.post("/experiments/{experiment_id}/columns", response_model=None)
async def save_columns(
    request: Request, experiment_id: str, store: StoreDep
) -> HTMLResponse | RedirectResponse:
    """Save the whole table; on a refused value the page comes back with it marked."""
    experiment, dataset = await run_in_threadpool(_load, store, experiment_id)
    changes = _form_changes(await request.form(), dataset)
    try:
        merged = merge_changes(dataset, changes)
    except FieldError as exc:
        loc = exc.errors[0]["loc"]
        column = str(loc[1]) if len(loc) > 1 else ""
        field = str(loc[2]) if len(loc) > 2 else "kind"
        rows = [
            ColumnRow(**{**r.__dict__, "error": exc.errors[0]["msg"], "error_field": field})
            if r.name == column
            else r
            for r in _rows(experiment, dataset, changes)
        ]
        context = _columns_context(
            experiment, dataset, rows, error=_t(request, "dataset.save_failed")
        )
        return render(request, "dataset/columns.html", context, status_code=422)
    await run_in_threadpool(store.update_dataset, dataset.id, column_settings=merged)
    return RedirectResponse(f"/experiments/{experiment_id}/columns?saved=1", status_code=303)


@router.post("/experiments/{experiment_id}/columns/recommend", response_model=None)
async def recommend_columns(
    request: Request, experiment_id: str, store: StoreDep, artifacts: ArtifactsDep
) -> HTMLResponse:
    """Show the recommendation as a proposal (what would change); nothing is saved."""
    experiment, dataset = await run_in_threadpool(_load, store, experiment_id)
    try:
        items = proposal(dataset, experiment.target or None)
    except TunelabError as exc:
        context = _columns_context(
            experiment, dataset, _rows(experiment, dataset), error=public_message(exc)
        )
        return render(request, "dataset/columns.html", context, status_code=409)
    can = await run_in_threadpool(can_undo, artifacts, dataset.id)
    context = _columns_context(
        experiment,
        dataset,
        _rows(experiment, dataset),
        proposal=items,
        proposal_json=json.dumps(changes_of(items)),
        can_undo=can,
    )
    return render(request, "dataset/columns.html", context)


@router.post("/experiments/{experiment_id}/columns/recommend/apply", response_model=None)
async def apply_recommendation(
    request: Request, experiment_id: str, store: StoreDep, artifacts: ArtifactsDep
) -> HTMLResponse | RedirectResponse:
    """Apply the confirmed proposal (the changes it listed), keeping an undo."""
    _experiment, dataset = await run_in_threadpool(_load, store, experiment_id)
    form = await request.form()
    try:
        changes = json.loads(str(form.get("changes") or "{}"))
        if not isinstance(changes, dict):
            raise ValueError
    except ValueError:
        raise FieldError(
            ["body", "changes"], "expected the proposal's changes", "value_error"
        ) from None
    await run_in_threadpool(apply_with_undo, store, artifacts, dataset.id, changes)
    return RedirectResponse(f"/experiments/{experiment_id}/columns?recommended=1", status_code=303)


@router.post("/experiments/{experiment_id}/columns/undo", response_model=None)
async def undo_recommendation(
    experiment_id: str, store: StoreDep, artifacts: ArtifactsDep
) -> RedirectResponse:
    """Put back the settings the last applied recommendation changed."""
    _, dataset = await run_in_threadpool(_load, store, experiment_id)
    await run_in_threadpool(undo, store, artifacts, dataset.id)
    return RedirectResponse(f"/experiments/{experiment_id}/columns?undone=1", status_code=303)


@router.get("/experiments/{experiment_id}/preview", response_class=HTMLResponse)
async def preview_page(
    request: Request, experiment_id: str, store: StoreDep, artifacts: ArtifactsDep
) -> HTMLResponse:
    experiment, dataset = await run_in_threadpool(_load, store, experiment_id)
    error = ""
    try:
        preview = await run_in_threadpool(preview_table, artifacts, dataset)
    except TunelabError as exc:
        preview, error = None, public_message(exc)
    head, tail, hidden = [], [], 0
    if preview is not None:
        n, shown = preview["n_rows"], len(preview["head"])
        head = list(enumerate(preview["head"], start=1))
        first_tail = n - len(preview["tail"]) + 1
        tail = [(i, r) for i, r in enumerate(preview["tail"], start=first_tail) if i > shown]
        hidden = max(0, n - shown - len(tail))
    context = {
        "experiment": experiment,
        "dataset": dataset,
        "active": "preview",
        "preview": preview,
        "head_rows": head,
        "tail_rows": tail,
        "hidden": hidden,
        "error": error,
    }
    return render(request, "dataset/preview.html", context)


def _eda_state(store: MetadataStore, artifacts: Any, dataset: Dataset) -> dict[str, Any]:
    manifest = (
        eda.manifest(artifacts, dataset.id) if eda.has_result(artifacts, dataset.id) else None
    )
    pending = eda.pending_job(store, dataset.id)
    latest = eda.latest_job(store, dataset.id)
    failed = latest if latest is not None and latest.status is JobStatus.FAILED else None
    return {"manifest": manifest, "pending": pending, "failed": failed}


@router.get("/experiments/{experiment_id}/eda", response_class=HTMLResponse)
async def eda_page(
    request: Request, experiment_id: str, store: StoreDep, artifacts: ArtifactsDep
) -> HTMLResponse:
    experiment, dataset = await run_in_threadpool(_load, store, experiment_id)
    state = await run_in_threadpool(_eda_state, store, artifacts, dataset)
    context = {
        "experiment": experiment,
        "dataset": dataset,
        "active": "eda",
        "plots": [p for p in eda.EDA_PLOTS if p != "variable"],
        **state,
    }
    return render(request, "dataset/eda.html", context)


@router.post("/experiments/{experiment_id}/eda", response_model=None)
async def compute_eda(
    request: Request, experiment_id: str, store: StoreDep, artifacts: ArtifactsDep
) -> Response:
    experiment, dataset = await run_in_threadpool(_load, store, experiment_id)
    try:
        await run_in_threadpool(eda.queue_eda, store, dataset.id, experiment.target or None)
    except TunelabError as exc:
        state = await run_in_threadpool(_eda_state, store, artifacts, dataset)
        context = {
            "experiment": experiment,
            "dataset": dataset,
            "active": "eda",
            "plots": [],
            "error": public_message(exc),
            **state,
        }
        return render(request, "dataset/eda.html", context, status_code=422)
    return RedirectResponse(f"/experiments/{experiment_id}/eda", status_code=303)


@router.get("/experiments/{experiment_id}/eda/status", response_class=HTMLResponse)
async def eda_status(
    request: Request, experiment_id: str, store: StoreDep, artifacts: ArtifactsDep
) -> HTMLResponse:
    """Polled while the EDA job runs; asks HTMX to reload the page once it has ended."""
    _, dataset = await run_in_threadpool(_load, store, experiment_id)
    pending = await run_in_threadpool(eda.pending_job, store, dataset.id)
    events = []
    if pending is not None:
        events = await run_in_threadpool(store.list_job_events, pending.id, after_id=0, limit=50)
    response = render_fragment(
        request,
        "dataset/_eda_progress.html",
        {
            "pending": pending,
            "step": events[-1].data.get("step") if events else None,
            "experiment_id": experiment_id,
        },
    )
    if pending is None:
        response.headers["HX-Refresh"] = "true"
    return response
