"""``/api/v1/experiments``: create, list, get, patch, start, stop, delete, copy, leaderboard."""

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, status
from fastapi.responses import Response

from tunelab.entities.platform import ConflictError, ExperimentStatus
from tunelab.entities.settings import DEFAULT_TEST_RATIO
from tunelab.server.deps import SettingsDep, StoreDep
from tunelab.server.errors import FieldError
from tunelab.server.experiments import service
from tunelab.server.experiments.leaderboard import leaderboard_json
from tunelab.server.experiments.schemas import (
    CopyIn,
    ExperimentIn,
    ExperimentPage,
    ExperimentPatch,
    RunQuery,
)
from tunelab.server.schemas import (
    Created,
    ExperimentOut,
    Leaderboard,
    Limit,
    Offset,
    PathNumber,
    RunOut,
    TrialOut,
)

router = APIRouter(prefix="/experiments", tags=["experiments"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=Created)
def create_experiment(body: ExperimentIn, store: StoreDep, server: SettingsDep) -> Created:
    """Create an experiment (status ``ready``); ``time_budget`` goes into its settings.

    Settings naming neither ``split`` nor ``test_ratio`` get ``test_ratio`` 0.2: a test
    part is held back by default (send ``test_ratio: 0`` for none).

    The target may be left out: the experiment is created, and ``start`` answers 422
    "set a target first" until a PATCH sets one. Settings are checked (422 naming the field);
    ``settings.executor`` may name only the Ray clusters the server was started with.

    Task ``clustering`` takes no target (422 if one is given) and no split: its options are
    ``settings.clustering`` (``n_clusters`` 2–10 or ``"auto"``, an evaluation-only
    ``label`` column) with the usual ``time_budget``, ``algorithms`` (clustering families),
    ``max_trials`` (most candidates) and ``seed``.
    """
    dataset = store.get_dataset(body.dataset_id)
    clustering = service.is_clustering(body.task)
    if clustering and body.target:
        raise FieldError(["body", "target"], service.NO_TARGET, "value_error")
    if body.target is not None:
        service.check_target(store, body.dataset_id, body.target)
    settings = body.settings.stored()
    if body.time_budget is not None:
        settings["time_budget"] = body.time_budget
    if clustering:
        pass  # every row is clustered: no test part
    elif "split" not in settings and "test_ratio" not in settings:
        # held back by default so a default run has test metrics (0 keeps every row)
        settings["test_ratio"] = DEFAULT_TEST_RATIO
    service.validate_settings(
        store,
        dataset_id=body.dataset_id,
        target=body.target,
        task=body.task,
        metric=body.metric,
        settings=settings,
        ray_addresses=server.ray_address,
    )
    experiment = store.create_experiment(
        dataset_id=body.dataset_id,
        target=body.target or "",
        name=body.name or (f"{dataset.name} · clustering" if clustering else None),
        task=body.task,
        metric=body.metric,
        settings=settings,
    )
    return Created(id=experiment.id)


@router.get("", response_model=ExperimentPage)
def list_experiments(
    store: StoreDep,
    status: ExperimentStatus | None = None,
    dataset_id: str | None = None,
    q: Annotated[str | None, Query(description="Text the name contains (any case).")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Any:
    """Newest first; filter by status, dataset and text in the name; ``total`` counts matches."""
    if not q and dataset_id is None:
        items = store.list_experiments(status=status, limit=limit, offset=offset)
        total = store.count_experiments(status=status)
    else:
        everything = store.list_experiments(status=status, dataset_id=dataset_id, limit=10**9)
        matching = [e for e in everything if service.matches(e, q)]
        items, total = matching[offset : offset + limit], len(matching)
    return {"items": items, "limit": limit, "offset": offset, "total": total}


@router.get("/{experiment_id}", response_model=ExperimentOut)
def get_experiment(experiment_id: str, store: StoreDep) -> Any:
    return service.reconcile(store, store.get_experiment(experiment_id))


@router.patch("/{experiment_id}", response_model=ExperimentOut)
def patch_experiment(
    experiment_id: str,
    body: ExperimentPatch,
    store: StoreDep,
    server: SettingsDep,
    if_match: str | None = Header(default=None),
) -> Any:
    """Change fields and merge settings (top-level keys replaced; None restores a default).

    Send the ``version`` you read (or ``If-Match``) to get 409 instead of overwriting someone
    else's change; without it concurrent patches are merged, none lost. Refused while
    running. Bad settings answer 422 naming the field (``settings.split.ratios``...).
    """
    version = body.version
    if version is None and if_match:
        digits = if_match.strip().removeprefix("W/").strip('"')
        if not digits.isdigit():
            raise FieldError(["header", "if-match"], "must be the version number", "value_error")
        version = int(digits)
    patch = (
        None
        if body.settings is None
        else body.settings.model_dump(mode="json", exclude_unset=True)
    )
    current = store.get_experiment(experiment_id)
    if current.status is ExperimentStatus.RUNNING:
        raise ConflictError(f"experiment {experiment_id!r} is running; stop it first")
    target = body.target if body.target is not None else current.target
    fields = service.patch_fields(body.model_dump())
    if service.is_clustering(body.task or current.task):
        if body.target:
            raise FieldError(["body", "target"], service.NO_TARGET, "value_error")
        target = fields["target"] = ""  # a clustering experiment has no target
        if body.metric is None and current.metric != service.CLUSTER_METRIC:
            fields["metric"] = None  # a supervised metric left from before
    elif body.target is not None:
        service.check_target(store, current.dataset_id, body.target)
    service.validate_settings(
        store,
        dataset_id=current.dataset_id,
        target=target,
        task=body.task or current.task,
        metric=fields.get("metric", current.metric),
        settings=service.merged_settings(current.settings, patch),
        ray_addresses=server.ray_address,
    )
    return store.update_experiment(
        experiment_id,
        expected_version=version,
        settings_patch=patch,
        **fields,
    )


@router.post("/{experiment_id}/start", status_code=status.HTTP_202_ACCEPTED)
def start_experiment(experiment_id: str, store: StoreDep, server: SettingsDep) -> dict[str, Any]:
    """Queue the AutoML job; 422 "set a target first" without a target, or naming the bad
    setting (an executor on a Ray cluster the server does not have); 409 when running."""
    experiment = service.start(store, experiment_id, server.ray_address)
    return {"id": experiment.id, "status": experiment.status.value, "job_id": experiment.job_id}


@router.post("/{experiment_id}/stop", status_code=status.HTTP_202_ACCEPTED)
def stop_experiment(experiment_id: str, store: StoreDep) -> dict[str, Any]:
    """Stop a running experiment; running trials end within seconds, the best model is kept."""
    experiment = service.stop(store, experiment_id)
    return {"id": experiment.id, "status": experiment.status.value, "job_id": experiment.job_id}


@router.delete("/{experiment_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_experiment(experiment_id: str, store: StoreDep) -> None:
    store.delete_experiment(experiment_id)


@router.post("/{experiment_id}/copy", status_code=status.HTTP_201_CREATED, response_model=Created)
def copy_experiment(experiment_id: str, body: CopyIn, store: StoreDep) -> Created:
    """A new ``ready`` experiment with the same settings (optionally on another dataset)."""
    source = store.get_experiment(experiment_id)
    dataset_id = body.dataset_id or source.dataset_id
    if source.target:
        service.check_target(store, dataset_id, source.target)
    copy = store.create_experiment(
        dataset_id=dataset_id,
        target=source.target,
        name=body.name or f"{source.name} (copy)",
        task=source.task,
        metric=source.metric,
        settings=source.settings,
    )
    return Created(id=copy.id)


@router.get("/{experiment_id}/runs", response_model=list[RunOut])
def list_runs(experiment_id: str, store: StoreDep) -> Any:
    """Every run of the experiment, newest first: settings used, status, model, trial count
    and best score."""
    experiment = store.get_experiment(experiment_id)
    return [_run_out(item) for item in service.run_summaries(store, experiment)]


@router.get("/{experiment_id}/runs/{number}", response_model=RunOut)
def get_run(experiment_id: str, number: PathNumber, store: StoreDep) -> Any:
    """One run (404 when the experiment has no run ``number``)."""
    experiment = store.get_experiment(experiment_id)
    for item in service.run_summaries(store, experiment):
        if item["run"].number == number:
            return _run_out(item)
    store.get_run(experiment_id, number)  # raises NotFoundError
    raise AssertionError("unreachable")


def _run_out(item: dict[str, Any]) -> dict[str, Any]:
    run = item["run"]
    return {
        **{name: getattr(run, name) for name in RunOut.model_fields if hasattr(run, name)},
        "status": run.status.value,
        "n_trials": item["n_trials"],
        "best_score": item["best_score"],
    }


@router.post("/{experiment_id}/runs/{run}/trials/{number}/model")
def trial_model(
    experiment_id: str, run: PathNumber, number: PathNumber, store: StoreDep, response: Response
) -> dict[str, Any]:
    """Make trial ``number`` of run ``run`` a model of its own (evaluate, deploy, download).

    The trial's configuration is refitted on the run's training rows (same split, seed and
    refit options) by a ``trial_model`` job: 202 with ``job_id`` and the ``model_id`` the
    model gets when the job succeeds. Asked again, answers 200 with the model already made.
    409 for a trial without a score or a run still running.
    """
    answer = service.trial_model(store, experiment_id, run, number)
    response.status_code = status.HTTP_200_OK if answer["job_id"] is None else 202
    return answer


@router.get("/{experiment_id}/leaderboard", response_model=Leaderboard)
def leaderboard(
    experiment_id: str,
    store: StoreDep,
    limit: Annotated[int, Query(ge=1, le=100_000)] = 1000,
    offset: Offset = 0,
    run: RunQuery = None,
) -> Any:
    """Trials of one run (the latest by default), best first in the run's metric direction;
    failed trials last. Trials of different runs are never ranked together."""
    experiment = store.get_experiment(experiment_id)
    found = service.find_run(store, experiment_id, run)
    number = found.number if found else store.latest_run_number(experiment_id)
    better = service.greater_is_better(experiment, found)
    rows = store.leaderboard_raw(
        experiment_id, greater_is_better=better, limit=limit, offset=offset, run=number
    )
    complete = len(rows) < limit and (rows or offset == 0)  # the page reached the end
    header = {
        "experiment_id": experiment_id,
        "run": number,
        "metric": (found.metric if found else None) or experiment.metric,
        "greater_is_better": better,
        "total": offset + len(rows) if complete else store.count_trials(experiment_id, run=number),
    }
    # Assembled bytes in the ``Leaderboard`` shape (the response model still documents it):
    # the stored params JSON is copied, not decoded and encoded again.
    return Response(leaderboard_json(header, rows), media_type="application/json")


@router.get("/{experiment_id}/trials/{number}", response_model=TrialOut)
def get_trial(
    experiment_id: str, number: PathNumber, store: StoreDep, run: RunQuery = None
) -> Any:
    """One trial of a run (the latest by default): family, hyperparameters, score, timings,
    where it ran."""
    return store.get_trial(experiment_id, number, run=run)
