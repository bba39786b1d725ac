"""The Model page ``/models/{id}``: pipeline, hyperparameters, metrics with intervals,
evaluation plots (computed by a job), Deploy, Export to S3 and the bundle download."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from tunelab.entities.artifact_keys import pipeline_key
from tunelab.entities.auth import ResourceKind
from tunelab.entities.errors import TunelabError, public_message
from tunelab.entities.platform import DeploymentStatus, Model, NotFoundError
from tunelab.server.deps import ArtifactsDep, SettingsDep, StoreDep
from tunelab.server.models import bundle_io, service
from tunelab.server.ui.labels import parse_description, split_facts
from tunelab.server.ui.pages.run import split_summary
from tunelab.server.ui.rendering import render, render_fragment
from tunelab.tracking import MetadataStore

router = APIRouter(include_in_schema=False)

PARTS = ("train", "valid", "test", "dataset")
KEY_METRICS = {
    "binary": ("roc_auc", "accuracy", "f1", "precision", "recall", "log_loss"),
    "multiclass": ("accuracy", "f1", "roc_auc", "log_loss"),
    "regression": ("rmse", "mae", "r2"),
}


SOURCES = {
    "held-out rows": "held_out",
    "in-sample rows": "in_sample",
    "out-of-fold predictions": "oof",
    "holdout validation predictions": "holdout",
    "saved report": "report",
}


def _source_key(source: str) -> str:
    """The translation key suffix of a part's data source."""
    return "dataset" if source.startswith("dataset") else SOURCES.get(source, "report")


def metric_table(parts: dict[str, Any]) -> dict[str, Any]:
    """Rows (one per metric) x columns (parts present) of ``{value, ci_low, ci_high}`` cells."""
    present = [p for p in PARTS if p in parts] + [p for p in parts if p not in PARTS]
    names: list[str] = []
    for part in present:
        names += [n for n in parts[part].get("metrics", {}) if n not in names]
    rows = [
        {"name": name, "cells": [parts[p].get("metrics", {}).get(name) for p in present]}
        for name in names
    ]
    sources = {p: _source_key(str(parts[p].get("source") or "")) for p in present}
    return {"parts": present, "rows": rows, "sources": sources}


def _saved_parts(manifest: dict[str, Any]) -> dict[str, Any]:
    """Metrics the engine saved in the bundle (per part, with intervals where computed)."""
    metrics = manifest.get("metrics") or {}
    return {
        part: {"metrics": values, "source": "saved report"}
        for part, values in metrics.items()
        if isinstance(values, dict)
    }


def _progress(store: MetadataStore, job_id: str | None) -> dict[str, Any] | None:
    if not job_id:
        return None
    events = [e for e in store.list_job_events(job_id, limit=500) if e.kind == "progress"]
    return dict(events[-1].data) if events else None


def _evaluation_context(
    store: MetadataStore, artifacts: Any, model: Model, manifest: dict[str, Any]
) -> dict[str, Any]:
    state = service.evaluation_state(store, artifacts, model.id)
    document = state.pop("evaluation")
    parts = document["parts"] if document else _saved_parts(manifest)
    return {
        "state": state,
        "evaluation": document,
        "metrics": metric_table(parts),
        "key_metrics": KEY_METRICS.get(str(model.task), ()),
        "progress": _progress(store, state["job_id"])
        if state["status"] in ("queued", "running")
        else None,
    }


def _page_context(
    store: MetadataStore, artifacts: Any, model_id: str, base_url: str, token: bool
) -> dict[str, Any]:
    model = store.get_model(model_id)
    manifest = service.read_manifest(artifacts, model)
    experiment = None
    # a model shared on its own does not name (or link) an experiment the caller may not see
    if model.experiment_id and store.may_see(ResourceKind.EXPERIMENT, model.experiment_id):
        try:
            experiment = store.get_experiment(model.experiment_id)
        except NotFoundError:
            experiment = None
    deployments = [
        d for d in store.list_deployments(model_id=model.id) if d.status is DeploymentStatus.ACTIVE
    ]
    record = service.example_record(manifest)
    return {
        "model": model,
        "manifest": manifest,
        "experiment": experiment,
        "deployments": deployments,
        "snippets": {
            "python": bundle_io.python_snippet(model, base_url, record, token),
            "curl": bundle_io.curl_snippet(
                model, base_url, record, token, deployments[0].id if deployments else None
            ),
        },
        **_evaluation_context(store, artifacts, model, manifest),
    }


def pipeline_split_facts(
    store: MetadataStore, artifacts: Any, model_id: str, description: str | None
) -> dict[str, Any] | None:
    """The model's split as facts: its run's split summary when this model is that run's
    result, else read from the description saved in the bundle."""
    model = store.get_model(model_id)
    if model.experiment_id:
        try:
            experiment = store.get_experiment(model.experiment_id)
        except NotFoundError:
            experiment = None
        run = (model.metrics or {}).get("run")
        if experiment is not None and run is not None:  # a run's model (or one of its trials)
            try:
                settings = store.get_run(experiment.id, int(run)).settings
            except NotFoundError:
                settings = experiment.settings
            facts = split_facts(split_summary(artifacts, experiment.id, int(run)), settings)
            if facts is not None:
                return facts
        elif experiment is not None and experiment.best_model_id == model.id:
            facts = split_facts(split_summary(artifacts, experiment.id), experiment.settings)
            if facts is not None:
                return facts
    return parse_description(description)


def _base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


@router.get("/models/{model_id}", response_class=HTMLResponse)
async def model_page(
    request: Request,
    model_id: str,
    store: StoreDep,
    artifacts: ArtifactsDep,
    settings: SettingsDep,
) -> HTMLResponse:
    try:
        context = await run_in_threadpool(
            _page_context, store, artifacts, model_id, _base_url(request), settings.needs_token
        )
    except NotFoundError:
        return render(request, "model/missing.html", {"model_id": model_id}, status_code=404)
    key = pipeline_key(model_id)
    if await run_in_threadpool(artifacts.exists, key):  # else the page loads it lazily
        context["pipeline"] = pipeline = await run_in_threadpool(
            service.pipeline_view, store, artifacts, model_id, settings.cache_dir
        )
        context["split_facts"] = await run_in_threadpool(
            pipeline_split_facts, store, artifacts, model_id, pipeline.get("split")
        )
    return render(request, "model/page.html", context)


@router.get("/models/{model_id}/pipeline-view", response_class=HTMLResponse)
async def pipeline_fragment(
    request: Request,
    model_id: str,
    store: StoreDep,
    artifacts: ArtifactsDep,
    settings: SettingsDep,
) -> HTMLResponse:
    """The pipeline diagram and hyperparameters (the bundle is loaded once, then cached)."""
    try:
        pipeline = await run_in_threadpool(
            service.pipeline_view, store, artifacts, model_id, settings.cache_dir
        )
    except TunelabError as exc:
        context = {"pipeline_error": public_message(exc), "model_id": model_id}
        return render_fragment(request, "model/_pipeline.html", context)
    facts = await run_in_threadpool(
        pipeline_split_facts, store, artifacts, model_id, pipeline.get("split")
    )
    view: dict[str, Any] = {"pipeline": pipeline, "split_facts": facts}
    return render_fragment(request, "model/_pipeline.html", view)


async def _evaluation_fragment(
    request: Request, store: StoreDep, artifacts: ArtifactsDep, model_id: str, error: str = ""
) -> HTMLResponse:
    def build() -> dict[str, Any]:
        model = store.get_model(model_id)
        manifest = service.read_manifest(artifacts, model)
        return {"model": model, **_evaluation_context(store, artifacts, model, manifest)}

    context = await run_in_threadpool(build)
    context["eval_error"] = error
    return render_fragment(request, "model/_evaluation.html", context)


@router.get("/models/{model_id}/evaluation-view", response_class=HTMLResponse)
async def evaluation_fragment(
    request: Request, model_id: str, store: StoreDep, artifacts: ArtifactsDep
) -> HTMLResponse:
    """The metrics and plots section (polled while the evaluation job runs)."""
    return await _evaluation_fragment(request, store, artifacts, model_id)


@router.post("/models/{model_id}/evaluate", response_class=HTMLResponse)
async def compute_evaluation(
    request: Request, model_id: str, store: StoreDep, artifacts: ArtifactsDep
) -> HTMLResponse:
    """Queue the evaluation job and answer with the section in its 'computing' state."""
    error = ""
    try:
        await run_in_threadpool(service.start_evaluation, store, artifacts, model_id)
    except TunelabError as exc:
        error = public_message(exc)
    return await _evaluation_fragment(request, store, artifacts, model_id, error)
