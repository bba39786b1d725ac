"""The Experiments list: status, best score, start/stop/copy/delete, free worker slots."""

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from tunelab.entities.errors import TunelabError
from tunelab.entities.platform import Experiment, ExperimentStatus
from tunelab.server.config import ServerSettings
from tunelab.server.deps import SettingsDep, StoreDep
from tunelab.server.experiments import service
from tunelab.server.experiments.schemas import CopyIn
from tunelab.server.experiments.views import (
    copy_experiment,
    delete_experiment,
    start_experiment,
    stop_experiment,
)
from tunelab.server.ui.i18n import request_language, translate
from tunelab.server.ui.rendering import render, render_fragment
from tunelab.tracking import MetadataStore

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
ACTIONS = ("start", "stop", "copy", "delete")


@dataclass(frozen=True)
class ExperimentRow:
    """One line of the list: the experiment plus what the table shows beside it."""

    experiment: Experiment
    dataset_name: str
    best_score: float | None
    n_trials: int

    @property
    def href(self) -> str:
        tab = "setup" if self.experiment.status is ExperimentStatus.READY else "run"
        return f"/experiments/{self.experiment.id}/{tab}"

    @property
    def can_start(self) -> bool:
        return self.experiment.status in service.STARTABLE

    @property
    def can_stop(self) -> bool:
        return self.experiment.status is ExperimentStatus.RUNNING


@dataclass(frozen=True)
class WorkerSlots:
    total: int
    busy: int

    @property
    def free(self) -> int:
        return max(self.total - self.busy, 0)


def _row(
    store: MetadataStore,
    experiment: Experiment,
    names: dict[str, str],
    summaries: dict[str, tuple[int, Any, Any]],
) -> ExperimentRow:
    experiment = service.reconcile(store, experiment)  # a store call only for running ones
    count, highest, lowest = summaries.get(experiment.id, (0, None, None))
    best = highest if service.greater_is_better(experiment) else lowest
    return ExperimentRow(
        experiment=experiment,
        dataset_name=names.get(experiment.dataset_id, "—"),
        best_score=best,
        n_trials=count,
    )


def live_context(store: MetadataStore, total_workers: int, offset: int) -> dict[str, Any]:
    """Everything the polled part of the list needs (rows, worker slots, paging)."""
    experiments = store.list_experiments(limit=PAGE_SIZE, offset=offset)
    names = store.dataset_names(e.dataset_id for e in experiments)
    summaries = store.trial_summaries(e.id for e in experiments)
    rows = [_row(store, e, names, summaries) for e in experiments]
    busy = len(store.busy_workers())
    return {
        "rows": rows,
        "slots": WorkerSlots(total=max(total_workers, busy), busy=busy),
        "total": store.count_experiments(),
        "offset": offset,
        "page_size": PAGE_SIZE,
    }


OffsetQuery = Annotated[int, Query(ge=0)]


def _live_workers(request: Request, configured: int) -> int:
    """Workers that can take a job: the live ones under ``tunelab serve``'s supervisor (a
    dead worker is no free slot), else the configured number."""
    supervisor = getattr(request.app.state, "supervisor", None)
    return int(supervisor.status()["alive"]) if supervisor is not None else configured


@router.get("/experiments", response_class=HTMLResponse)
async def experiments_page(
    request: Request, store: StoreDep, settings: SettingsDep, offset: OffsetQuery = 0
) -> HTMLResponse:
    workers = _live_workers(request, settings.workers)
    context = await run_in_threadpool(live_context, store, workers, offset)
    return render(request, "experiments/list.html", context)


@router.get("/experiments/live", response_class=HTMLResponse)
async def experiments_live(
    request: Request, store: StoreDep, settings: SettingsDep, offset: OffsetQuery = 0
) -> HTMLResponse:
    """The table and worker slots, polled by HTMX every 2 s."""
    workers = _live_workers(request, settings.workers)
    context = await run_in_threadpool(live_context, store, workers, offset)
    return render_fragment(request, "experiments/_live.html", context)


def _apply(store: MetadataStore, server: ServerSettings, experiment_id: str, action: str) -> str:
    """Run one action through the REST views; returns the i18n key of the success message."""
    if action == "start":
        start_experiment(experiment_id, store, server)
        return "experiments.started"
    if action == "stop":
        stop_experiment(experiment_id, store)
        return "experiments.stopping"
    if action == "copy":
        copy_experiment(experiment_id, CopyIn(), store)
        return "experiments.copied"
    delete_experiment(experiment_id, store)
    return "experiments.deleted"


@router.post("/experiments/{experiment_id}/actions/{action}", response_class=HTMLResponse)
async def experiment_action(
    request: Request,
    experiment_id: str,
    action: str,
    store: StoreDep,
    settings: SettingsDep,
    offset: OffsetQuery = 0,
) -> HTMLResponse:
    """Start, stop, copy or delete, then answer the refreshed table and a message (OOB)."""
    lang = request_language(request)
    message: dict[str, str]
    if action not in ACTIONS:
        message = {"level": "error", "text": translate(lang, "experiments.unknown_action")}
    else:
        try:
            key = await run_in_threadpool(_apply, store, settings, experiment_id, action)
            message = {"level": "success", "text": translate(lang, key)}
        except (TunelabError, HTTPException) as exc:
            error = exc.detail if isinstance(exc, HTTPException) else str(exc)
            text = translate(lang, f"experiments.failed_{action}", error=error)
            message = {"level": "error", "text": text}
    workers = _live_workers(request, settings.workers)
    context = await run_in_threadpool(live_context, store, workers, offset)
    return render_fragment(
        request, "experiments/_live.html", {**context, "messages": [message], "oob": True}
    )
