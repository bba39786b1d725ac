"""Experiment rules: validation, start/stop through jobs, reconciling after lost workers."""

from collections.abc import Sequence
from typing import Any

from tunelab.entities.platform import (
    ConflictError,
    Experiment,
    ExperimentStatus,
    JobKind,
    JobStatus,
    NotFoundError,
    Run,
)
from tunelab.entities.settings import AutoMLSettings, SettingsError, parse_settings
from tunelab.executors import ray_address_for
from tunelab.server.errors import FieldError
from tunelab.tracking import MetadataStore

STARTABLE = (
    ExperimentStatus.READY,
    ExperimentStatus.STOPPED,
    ExperimentStatus.FAILED,
    ExperimentStatus.FINISHED,
)


CLUSTERING = "clustering"
CLUSTER_METRIC = "silhouette"  # the live score of a clustering candidate
NO_TARGET = (
    "a clustering experiment has no target; name a column to evaluate against in "
    "settings.clustering.label"
)


def is_clustering(task: str | None) -> bool:
    return task == CLUSTERING


def check_metric(metric: str | None, task: str | None) -> None:
    """422 naming ``metric`` when it is unknown for the task."""
    if metric is None or task is None:
        return
    if is_clustering(task):
        if metric != CLUSTER_METRIC:
            message = (
                f"a clustering experiment is chosen by its choice rule: leave the metric out "
                f"(the live score is {CLUSTER_METRIC})"
            )
            raise FieldError(["body", "metric"], message, "value_error")
        return
    from tunelab.evaluation import get_metric

    try:
        get_metric(metric, task)
    except Exception as exc:
        raise FieldError(["body", "metric"], str(exc), "value_error") from exc


def check_target(store: MetadataStore, dataset_id: str, target: str) -> None:
    """422 naming ``target`` when the profiled dataset has no such column."""
    profile = store.get_dataset(dataset_id).profile
    if not profile:
        return
    columns = [c.get("name") for c in profile.get("columns", [])]
    if target not in columns:
        raise FieldError(
            ["body", "target"], f"column {target!r} is not in the dataset", "value_error"
        )


def _profile_column(store: MetadataStore, dataset_id: str, name: str) -> dict[str, Any] | None:
    profile = store.get_dataset(dataset_id).profile or {}
    return next((c for c in profile.get("columns", []) if c.get("name") == name), None)


def dataset_columns(store: MetadataStore, dataset_id: str) -> list[str] | None:
    """The profiled column names (None until the dataset is profiled)."""
    profile = store.get_dataset(dataset_id).profile
    if not profile:
        return None
    return [str(c.get("name")) for c in profile.get("columns", [])]


def profile_classes(store: MetadataStore, dataset_id: str, target: str) -> dict[str, int] | None:
    """Class counts of ``target`` when the profile holds all of them (None otherwise)."""
    profile = store.get_dataset(dataset_id).profile or {}
    if profile.get("target") == target and profile.get("class_counts"):
        return {str(k): int(v) for k, v in profile["class_counts"].items()}
    column = _profile_column(store, dataset_id, target)
    if column is None or column.get("kind") not in ("categorical", "boolean"):
        return None
    labels, counts = (column.get("histogram") or ((), ()))[:2] or ((), ())
    if not labels or len(labels) != column.get("n_unique"):
        return None
    return {str(label): int(count) for label, count in zip(labels, counts, strict=False)}


def profile_target(store: MetadataStore, dataset_id: str, target: str) -> dict[str, Any] | None:
    """``{"task", "counts"}`` of a numeric column as the profile job found it: stored for
    columns with at most 20 distinct numbers, regression (no counts) for the others."""
    profile = store.get_dataset(dataset_id).profile or {}
    stored = profile.get("targets")
    if stored is None:  # profiled before the job stored targets
        return None
    if target in stored:
        return dict(stored[target])
    column = _profile_column(store, dataset_id, target)
    dtype = str((column or {}).get("dtype", "")).lower()
    if dtype.startswith(("int", "uint", "float")):  # numbers with over 20 distinct values
        return {"task": "regression", "counts": {}}
    return None


def guess_task(store: MetadataStore, dataset_id: str, target: str | None) -> str | None:
    """The task the engine will infer, when the profile makes it certain (else None)."""
    if not target:
        return None
    column = _profile_column(store, dataset_id, target)
    if column is None:
        return None
    n_unique = int(column.get("n_unique") or 0)
    if column.get("kind") in ("categorical", "boolean", "text") or n_unique == 2:
        return "binary" if n_unique <= 2 else "multiclass"
    return None


def validate_settings(
    store: MetadataStore,
    *,
    dataset_id: str,
    target: str | None,
    task: str | None,
    metric: str | None,
    settings: dict[str, Any],
    ray_addresses: Sequence[str] | None = None,
) -> None:
    """422 naming the field (``settings.split.ratios``, ``metric``...) when a setting is bad.

    ``ray_addresses`` (the server's configured clusters) checks ``settings.executor``: a run
    may use only those (None: not checked here; the worker checks again)."""
    from tunelab.automl import check_settings  # the engine's check: it knows the families

    task = task or guess_task(store, dataset_id, target)
    check_metric(metric, task)
    if not is_clustering(task) and settings.get("clustering") is not None:
        raise FieldError(
            ["body", "settings", "clustering"],
            "only for task 'clustering' (set the task first)",
            "value_error",
        )
    classes = (
        profile_classes(store, dataset_id, target) if target and not is_clustering(task) else None
    )
    try:
        check_settings(
            settings,
            task=task,
            columns=dataset_columns(store, dataset_id),
            classes=None if classes is None else list(classes),
        )
        if ray_addresses is not None:
            executor = parse_settings(settings, AutoMLSettings).executor
            ray_address_for(executor, ray_addresses)
    except SettingsError as exc:
        raise settings_field_error(exc) from exc


def settings_field_error(exc: SettingsError) -> FieldError:
    """422 with one entry per bad setting, located at ``body.settings.<path>``."""
    (field, reason), *others = exc.errors
    error = FieldError(["body", "settings", *field.split(".")], reason, "value_error")
    for other, message in others:
        loc = ["body", "settings", *other.split(".")]
        error.errors.append({"loc": loc, "msg": message, "type": "value_error"})
    return error


def require_target(experiment: Experiment) -> None:
    if not experiment.target and not is_clustering(experiment.task):
        raise FieldError(["body", "target"], "set a target first", "missing")


def start(
    store: MetadataStore, experiment_id: str, ray_addresses: Sequence[str] | None = None
) -> Experiment:
    """Queue the AutoML job; 422 without a target or with bad settings (an executor the
    server's ``ray_addresses`` do not allow included); 409 when running."""
    experiment = store.get_experiment(experiment_id)
    if experiment.status is not ExperimentStatus.RUNNING:
        require_target(experiment)
        validate_settings(
            store,
            dataset_id=experiment.dataset_id,
            target=experiment.target,
            task=experiment.task,
            metric=experiment.metric,
            settings=experiment.settings,
            ray_addresses=ray_addresses,
        )
    store.transition_experiment(
        experiment_id, to=ExperimentStatus.RUNNING, allowed_from=STARTABLE, error=""
    )  # opens the next run: its trials and model are kept apart from earlier runs'
    run = store.latest_run_number(experiment_id)
    job = store.enqueue_job(JobKind.AUTOML, {"experiment_id": experiment_id, "run": run})
    return store.update_experiment(experiment_id, job_id=job.id)


def stop(store: MetadataStore, experiment_id: str) -> Experiment:
    """Ask the running job to stop (it keeps the best model so far); 409 if not running."""
    experiment = reconcile(store, store.get_experiment(experiment_id))
    if experiment.status is not ExperimentStatus.RUNNING or experiment.job_id is None:
        raise ConflictError(f"experiment {experiment_id!r} is {experiment.status.value}")
    job = store.request_cancel(experiment.job_id)
    if job.status is JobStatus.CANCELLED:  # it had not started: nothing to keep
        return store.transition_experiment(
            experiment_id, to=ExperimentStatus.STOPPED, allowed_from=[ExperimentStatus.RUNNING]
        )
    return experiment


def reconcile(store: MetadataStore, experiment: Experiment) -> Experiment:
    """A running experiment whose job ended without saying so (lost workers) is closed."""
    if experiment.status is not ExperimentStatus.RUNNING or experiment.job_id is None:
        return experiment
    job = store.get_job(experiment.job_id)
    if not job.status.is_final:
        return experiment
    to = ExperimentStatus.STOPPED if job.status is JobStatus.CANCELLED else ExperimentStatus.FAILED
    try:
        return store.transition_experiment(
            experiment.id,
            to=to,
            allowed_from=[ExperimentStatus.RUNNING],
            error=job.error or experiment.error,
        )
    except ConflictError:  # the worker closed it meanwhile
        return store.get_experiment(experiment.id)


def greater_is_better(experiment: Experiment, run: Run | None = None) -> bool:
    """The direction of the run's metric (the experiment's when the run has none yet)."""
    metric = (run.metric if run else None) or experiment.metric
    task = (run.task if run else None) or experiment.task
    if is_clustering(task):
        return True  # trials are ranked live by silhouette
    if metric and task:
        from tunelab.evaluation import get_metric

        return bool(get_metric(metric, task).greater_is_better)
    return True


def split_key(
    artifacts: Any, experiment_id: str, run: int | None, part: str | None = None
) -> str | None:
    """The artifact key of run ``run``'s split summary (``part=None``) or part CSV, falling
    back to the folder runs used before runs were kept apart; None when neither exists."""
    from tunelab.entities.artifact_keys import split_part_key, splits_summary_key

    for number in (run, None):
        key = (
            splits_summary_key(experiment_id, number)
            if part is None
            else split_part_key(experiment_id, part, number)
        )
        if artifacts.exists(key):
            return key
    return None


def find_run(store: MetadataStore, experiment_id: str, number: int | None) -> Run | None:
    """Run ``number`` (the latest when None); None when the experiment never ran, 404 when
    the asked number does not exist."""
    try:
        return store.get_run(experiment_id, number)
    except NotFoundError:
        if number is not None:
            raise
        return None


def run_summaries(store: MetadataStore, experiment: Experiment) -> list[dict[str, Any]]:
    """Every run newest first, with its trial count and best score (for REST and pages)."""
    out = []
    for run in store.list_runs(experiment.id):
        better = greater_is_better(experiment, run)
        best = store.leaderboard_rows(
            experiment.id, greater_is_better=better, limit=1, run=run.number
        )
        out.append(
            {
                "run": run,
                "n_trials": store.count_trials(experiment.id, run=run.number),
                # the budget the run had: the given one, else the settings' default
                "time_budget": run.settings.get(
                    "time_budget", AutoMLSettings.model_fields["time_budget"].default
                ),
                "best_score": best[0]["score"] if best else None,
                "greater_is_better": better,
            }
        )
    return out


def patch_fields(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if v is not None and k not in ("version", "settings")}


def merged_settings(current: dict[str, Any], patch: dict[str, Any] | None) -> dict[str, Any]:
    """The settings after a patch: top-level keys are replaced (None means "the default")."""
    return {**current, **(patch or {})}


def matches(experiment: Experiment, text: str | None) -> bool:
    return not text or text.casefold() in experiment.name.casefold()


def trial_model(store: MetadataStore, experiment_id: str, run: int, number: int) -> dict[str, Any]:
    """The model of trial ``number`` of run ``run``: the one made earlier (``ready``), else
    a trial-model job that refits the trial's configuration on the run's training rows
    (``queued``; the model appears under ``model_id`` when the job succeeds). 409 for a
    trial without a score (nothing to refit) or a run still running."""
    found = store.get_run(experiment_id, run)  # 404 for an unknown run
    trial = store.get_trial(experiment_id, number, run=run)  # 404 for an unknown trial
    if is_clustering(found.task or store.get_experiment(experiment_id).task):
        raise ConflictError(
            "a clustering run keeps one model, the chosen clustering: its candidates are "
            "not refitted as models of their own"
        )
    if trial.status != "ok":
        raise ConflictError(f"trial {number} of run {run} has no score ({trial.status})")
    if found.status is ExperimentStatus.RUNNING:
        raise ConflictError(f"run {run} is still running: build trial models once it ends")
    for model in store.list_models(experiment_id=experiment_id, limit=10_000):
        metrics = model.metrics or {}
        if metrics.get("run") == run and metrics.get("trial") == number:
            return {"model_id": model.id, "job_id": None, "status": "ready"}
    model_id = new_model_id()
    payload = {"experiment_id": experiment_id, "run": run, "trial": number, "model_id": model_id}
    job = store.enqueue_job(JobKind.TRIAL_MODEL, payload)
    return {"model_id": model_id, "job_id": job.id, "status": "queued"}


def new_model_id() -> str:
    import uuid

    return uuid.uuid4().hex
