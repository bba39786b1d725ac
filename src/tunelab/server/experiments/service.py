"""Experiment rules: validation, start/stop through jobs, reconciling after lost workers."""

from typing import Any

from tunelab.entities.platform import (
    ConflictError,
    Experiment,
    ExperimentStatus,
    JobStatus,
)
from tunelab.server.errors import FieldError
from tunelab.tracking import MetadataStore

STARTABLE = (
    ExperimentStatus.READY,
    ExperimentStatus.STOPPED,
    ExperimentStatus.FAILED,
    ExperimentStatus.FINISHED,
)


def check_metric(metric: str | None, task: str | None) -> None:
    """422 naming ``metric`` when it is unknown for the task."""
    if metric is None or task is None:
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


def start(store: MetadataStore, experiment_id: str) -> Experiment:
    """Queue the AutoML job; 409 when it is already running."""
    store.transition_experiment(
        experiment_id, to=ExperimentStatus.RUNNING, allowed_from=STARTABLE, error=""
    )
    job = store.enqueue_job("automl", {"experiment_id": experiment_id})
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


def greater_is_better(experiment: Experiment) -> bool:
    if experiment.metric and experiment.task:
        from tunelab.evaluation import get_metric

        return bool(get_metric(experiment.metric, experiment.task).greater_is_better)
    return True


def patch_fields(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if v is not None and k not in ("version", "settings")}
