"""The Run page (live): score trend, one card per trial slot, leaderboard, split parts, Stop."""

import json
from functools import cache
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from tunelab.artifacts import ArtifactStore
from tunelab.entities.platform import Experiment, ExperimentStatus, NotFoundError, Run, Trial
from tunelab.server.deps import ArtifactsDep, SettingsDep, StoreDep
from tunelab.server.experiments import service
from tunelab.server.ui.choices import algorithm_choices
from tunelab.server.ui.i18n import request_language
from tunelab.server.ui.labels import family_label, split_facts
from tunelab.server.ui.rendering import render, render_fragment
from tunelab.tracking import MetadataStore

router = APIRouter(include_in_schema=False)

BOARD_ROWS = 100  # rows rendered; the full leaderboard is in the REST API


@cache
def family_info(family: str) -> dict[str, str]:
    """Label and preprocessing flavor of a model family (the family name when unknown)."""
    try:
        from tunelab.models import get_model_spec

        spec = get_model_spec(family)
    except Exception:  # an ensemble row or a family of another version
        return {"label": family, "flavor": ""}
    return {"label": spec.label, "flavor": spec.flavor}


def split_summary(
    artifacts: ArtifactStore, experiment_id: str, run: int | None = None
) -> dict[str, Any] | None:
    """The split summary of run ``run`` (older runs: the experiment's single summary)."""
    key = service.split_key(artifacts, experiment_id, run)
    if key is None:
        return None
    return dict(json.loads(artifacts.read_bytes(key)))


def board_context(
    store: MetadataStore, experiment: Experiment, run: Run | None = None
) -> dict[str, Any]:
    """One run's leaderboard (the latest run when ``run`` is None): its trials only, links
    to that run's model, and a host column when its trials ran on more than one host."""
    better = service.greater_is_better(experiment, run)
    number = run.number if run else store.latest_run_number(experiment.id)
    trials: list[Trial] = store.list_trials(
        experiment.id, greater_is_better=better, limit=BOARD_ROWS, run=number
    )
    hosts = {t.host for t in trials if t.host}
    clustering = service.is_clustering((run.task if run else None) or experiment.task)
    return {
        **(cluster_board(store, run.model_id if run else None) if clustering else {}),
        "clustering": clustering,
        "experiment": experiment,
        "run": run,
        "run_number": number,
        "model_id": run.model_id if run else None,
        "trials": trials,
        "total": store.count_trials(experiment.id, run=number),
        "greater_is_better": better,
        "families": {t.family: family_info(t.family) for t in trials},
        "show_host": len(hosts) > 1,
    }


CLUSTER_BOARD_ROWS = 50  # clustering leaderboard rows on the Run page


def cluster_board(store: MetadataStore, model_id: str | None) -> dict[str, Any]:
    """The clustering leaderboard the run's model keeps (ranked by the choice rule), the
    chosen candidate and its scores against the evaluation column; empty while running."""
    if model_id is None:
        return {}
    try:
        metrics = store.get_model(model_id).metrics or {}
    except NotFoundError:  # the model was deleted
        return {}
    rows = list(metrics.get("leaderboard") or [])
    return {
        "cluster_rows": rows[:CLUSTER_BOARD_ROWS],
        "cluster_total": len(rows),
        "cluster_best": metrics.get("best") or {},
        "cluster_k": metrics.get("n_clusters"),
        "cluster_label": metrics.get("label"),
        "cluster_label_scores": metrics.get("label_scores"),
        "cluster_extra": [
            c
            for c in ("adjusted_rand", "adjusted_mutual_info")
            if any(r.get(c) is not None for r in rows)
        ],
    }


def _slots(experiment: Experiment) -> int:
    try:
        return max(1, int(experiment.settings.get("n_jobs") or 1))
    except (TypeError, ValueError):
        return 1


def summary_context(
    store: MetadataStore, artifacts: ArtifactStore, experiment_id: str, number: int | None = None
) -> dict[str, Any]:
    """Status, model and split parts of run ``number`` (the latest when None)."""
    experiment = service.reconcile(store, store.get_experiment(experiment_id))
    run = service.find_run(store, experiment.id, number)
    latest = store.latest_run_number(experiment.id)
    settings = run.settings if run else experiment.settings
    splits = split_summary(artifacts, experiment.id, run.number if run else None)
    return {
        "experiment": experiment,
        "run": run,
        "is_latest": run is None or run.number == latest,
        "model_id": run.model_id if run else None,
        "splits": splits,
        "split_facts": split_facts(splits, settings),
        "running": experiment.status is ExperimentStatus.RUNNING,
        "settings": settings,
    }


def page_context(
    store: MetadataStore, artifacts: ArtifactStore, experiment_id: str, number: int | None = None
) -> dict[str, Any]:
    context = summary_context(store, artifacts, experiment_id, number)
    experiment, run = context["experiment"], context["run"]
    timeout = context["settings"].get("trial_timeout")
    return {
        **context,
        **board_context(store, experiment, run),
        "runs": service.run_summaries(store, experiment),
        "active": "run",
        "family_labels": {a["name"]: a["label"] for a in algorithm_choices()},  # English
        "slots": range(_slots(experiment)),
        "trial_timeout": timeout,
    }


RunNumber = Annotated[int | None, Query(ge=1)]


@router.get("/experiments/{experiment_id}/run", response_class=HTMLResponse)
async def run_page(
    request: Request,
    experiment_id: str,
    store: StoreDep,
    artifacts: ArtifactsDep,
    server: SettingsDep,
    run: RunNumber = None,
) -> HTMLResponse:
    """The live page of the latest run, or of an earlier run with ``?run=N``; run history."""
    context = await run_in_threadpool(page_context, store, artifacts, experiment_id, run)
    # where trials run when the settings leave it to the server (its first Ray cluster)
    context["ray_default"] = server.ray_address[0] if server.ray_address else None
    lang = request_language(request)
    context["family_labels"] = {
        name: family_label(lang, name, label) for name, label in context["family_labels"].items()
    }
    return render(request, "run/page.html", context)


@router.get("/experiments/{experiment_id}/run/leaderboard", response_class=HTMLResponse)
async def run_leaderboard(
    request: Request, experiment_id: str, store: StoreDep, run: RunNumber = None
) -> HTMLResponse:
    """The ranked leaderboard of one run (HTMX partial, refreshed when a trial ends)."""

    def load() -> dict[str, Any]:
        experiment = store.get_experiment(experiment_id)
        return board_context(store, experiment, service.find_run(store, experiment_id, run))

    return render_fragment(request, "run/_leaderboard.html", await run_in_threadpool(load))


@router.get("/experiments/{experiment_id}/run/summary", response_class=HTMLResponse)
async def run_summary(
    request: Request,
    experiment_id: str,
    store: StoreDep,
    artifacts: ArtifactsDep,
    run: RunNumber = None,
) -> HTMLResponse:
    """Status, final model and split parts (HTMX partial, refreshed when the run ends)."""
    context = await run_in_threadpool(summary_context, store, artifacts, experiment_id, run)
    return render_fragment(request, "run/_summary.html", context)
