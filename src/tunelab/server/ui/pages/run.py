"""The Run page (live): score trend, one card per trial slot, leaderboard, split parts, Stop."""

import json
from functools import cache
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from tunelab.artifacts import ArtifactStore
from tunelab.entities.artifact_keys import splits_summary_key
from tunelab.entities.platform import Experiment, ExperimentStatus, Trial
from tunelab.server.deps import ArtifactsDep, StoreDep
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


def split_summary(artifacts: ArtifactStore, experiment_id: str) -> dict[str, Any] | None:
    key = splits_summary_key(experiment_id)
    if not artifacts.exists(key):
        return None
    return dict(json.loads(artifacts.read_bytes(key)))


def board_context(store: MetadataStore, experiment: Experiment) -> dict[str, Any]:
    better = service.greater_is_better(experiment)
    trials: list[Trial] = store.list_trials(
        experiment.id, greater_is_better=better, limit=BOARD_ROWS
    )
    return {
        "experiment": experiment,
        "trials": trials,
        "total": store.count_trials(experiment.id),
        "greater_is_better": better,
        "families": {t.family: family_info(t.family) for t in trials},
    }


def _slots(experiment: Experiment) -> int:
    try:
        return max(1, int(experiment.settings.get("n_jobs") or 1))
    except (TypeError, ValueError):
        return 1


def summary_context(
    store: MetadataStore, artifacts: ArtifactStore, experiment_id: str
) -> dict[str, Any]:
    experiment = service.reconcile(store, store.get_experiment(experiment_id))
    splits = split_summary(artifacts, experiment.id)
    return {
        "experiment": experiment,
        "splits": splits,
        "split_facts": split_facts(splits, experiment.settings),
        "running": experiment.status is ExperimentStatus.RUNNING,
        "settings": experiment.settings,
    }


def page_context(
    store: MetadataStore, artifacts: ArtifactStore, experiment_id: str
) -> dict[str, Any]:
    context = summary_context(store, artifacts, experiment_id)
    experiment = context["experiment"]
    timeout = experiment.settings.get("trial_timeout")
    return {
        **context,
        **board_context(store, experiment),
        "active": "run",
        "family_labels": {a["name"]: a["label"] for a in algorithm_choices()},  # English
        "slots": range(_slots(experiment)),
        "trial_timeout": timeout,
    }


@router.get("/experiments/{experiment_id}/run", response_class=HTMLResponse)
async def run_page(
    request: Request, experiment_id: str, store: StoreDep, artifacts: ArtifactsDep
) -> HTMLResponse:
    context = await run_in_threadpool(page_context, store, artifacts, experiment_id)
    lang = request_language(request)
    context["family_labels"] = {
        name: family_label(lang, name, label) for name, label in context["family_labels"].items()
    }
    return render(request, "run/page.html", context)


@router.get("/experiments/{experiment_id}/run/leaderboard", response_class=HTMLResponse)
async def run_leaderboard(request: Request, experiment_id: str, store: StoreDep) -> HTMLResponse:
    """The ranked leaderboard (HTMX partial, refreshed when a trial ends)."""

    def load() -> dict[str, Any]:
        return board_context(store, store.get_experiment(experiment_id))

    return render_fragment(request, "run/_leaderboard.html", await run_in_threadpool(load))


@router.get("/experiments/{experiment_id}/run/summary", response_class=HTMLResponse)
async def run_summary(
    request: Request, experiment_id: str, store: StoreDep, artifacts: ArtifactsDep
) -> HTMLResponse:
    """Status, final model and split parts (HTMX partial, refreshed when the run ends)."""
    context = await run_in_threadpool(summary_context, store, artifacts, experiment_id)
    return render_fragment(request, "run/_summary.html", context)
