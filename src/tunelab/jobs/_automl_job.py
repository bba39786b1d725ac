"""The AutoML job: run the engine on an experiment, record trials live, keep the best model."""

import inspect
import shutil
import tempfile
import threading
import uuid
from pathlib import Path
from typing import Any

from tunelab.entities.errors import DataError
from tunelab.entities.platform import Experiment, ExperimentStatus
from tunelab.entities.trials import TrialRecord
from tunelab.jobs._context import JobCancelledError, JobContext
from tunelab.jobs._handlers import _read_dataset

# experiment settings passed through to tunelab.AutoML
_ENGINE_SETTINGS = (
    "time_budget",
    "trial_timeout",
    "max_trials",
    "algorithms",
    "ensemble",
    "sampler",
    "seed",
    "n_jobs",
    "early_stopping_rounds",
    "test_ratio",
    "memory_limit_mb",
)


class StoreCallbacks:
    """AutoML callbacks that turn the search's progress into trial rows and job events."""

    def __init__(self, ctx: JobContext, experiment_id: str) -> None:
        self.ctx = ctx
        self.experiment_id = experiment_id

    def on_trial_start(self, info: dict[str, Any]) -> None:
        self.ctx.emit("trial_start", {"experiment_id": self.experiment_id, **info})

    def on_trial_end(self, record: TrialRecord) -> None:
        self.ctx.store.record_trial(self.experiment_id, record)
        self.ctx.emit(
            "trial_end",
            {
                "experiment_id": self.experiment_id,
                "number": record.number,
                "family": record.family,
                "status": str(record.status),
                "score": record.score,
            },
        )

    def on_best(self, record: TrialRecord) -> None:
        self.ctx.emit(
            "best",
            {"experiment_id": self.experiment_id, "number": record.number, "score": record.score},
        )


def engine_kwargs(experiment_settings: dict[str, Any], accepted: set[str]) -> dict[str, Any]:
    """The experiment settings the engine understands."""
    return {
        key: experiment_settings[key]
        for key in _ENGINE_SETTINGS
        if key in experiment_settings and key in accepted
    }


def run_automl(ctx: JobContext) -> dict[str, Any]:
    """Fit ``tunelab.AutoML`` on the experiment's dataset; a stop keeps the best so far."""
    from tunelab.automl import AutoML

    store = ctx.store
    experiment = store.get_experiment(ctx.require("experiment_id"))
    try:
        df = _read_dataset(ctx, experiment.dataset_id)
        ctx.check_cancelled()
        experiment = _settle_task_and_metric(ctx, experiment, df)
        accepted = set(inspect.signature(AutoML).parameters)
        kwargs = engine_kwargs(experiment.settings, accepted)
        checkpoint = _checkpoint_dir(ctx, experiment.id) if "checkpoint_dir" in accepted else None
        if checkpoint is not None:
            kwargs["checkpoint_dir"] = str(checkpoint)
        automl = AutoML(
            task=experiment.task,
            metric=experiment.metric,
            callbacks=[StoreCallbacks(ctx, experiment.id)],
            **kwargs,
        )
        done = threading.Event()
        watcher = threading.Thread(target=_stop_on_cancel, args=(ctx, automl, done), daemon=True)
        watcher.start()
        try:
            automl.fit(df, target=experiment.target)
        finally:
            done.set()
            watcher.join()
        if ctx.released.is_set():  # the next worker resumes from the checkpoint
            return {"experiment_id": experiment.id, "released": True}
        model_id = _save_model(ctx, experiment.id, automl)
    except Exception as exc:
        if ctx.released.is_set():
            raise
        stopped = isinstance(exc, JobCancelledError)
        store.transition_experiment(
            experiment.id,
            to=ExperimentStatus.STOPPED if stopped else ExperimentStatus.FAILED,
            allowed_from=[ExperimentStatus.RUNNING],
            error="" if stopped else f"{type(exc).__name__}: {exc}",
        )
        raise
    final = ExperimentStatus.STOPPED if ctx.cancelled else ExperimentStatus.FINISHED
    store.transition_experiment(
        experiment.id,
        to=final,
        allowed_from=[ExperimentStatus.RUNNING],
        best_model_id=model_id,
        task=str(automl.task_),
        metric=automl.metric_,
        error="",
    )
    ctx.emit("experiment_" + final.value, {"experiment_id": experiment.id, "model_id": model_id})
    return {"experiment_id": experiment.id, "model_id": model_id, "n_trials": len(automl.trials_)}


def _settle_task_and_metric(ctx: JobContext, experiment: Experiment, df: Any) -> Experiment:
    """Fill in the task and metric the engine will use, so the live leaderboard is ordered."""
    if experiment.task and experiment.metric:
        return experiment
    from tunelab.data import infer_task
    from tunelab.evaluation import default_metric

    if experiment.target not in df.columns:
        raise DataError(f"target column {experiment.target!r} is not in the dataset")
    task = experiment.task or str(infer_task(df[experiment.target].dropna()))
    metric = experiment.metric or default_metric(task).name
    return ctx.store.update_experiment(experiment.id, task=task, metric=metric)


def _stop_on_cancel(ctx: JobContext, automl: Any, done: threading.Event) -> None:
    while not done.is_set():
        if ctx.cancel_event.wait(0.2):
            automl.stop()
            return


def _checkpoint_dir(ctx: JobContext, experiment_id: str) -> Path:
    """Where finished trials persist so a retried job resumes (shared when artifacts are local)."""
    if ctx.artifacts.is_local:
        path = Path(ctx.artifacts.root) / "checkpoints" / experiment_id
    else:
        path = Path(tempfile.gettempdir()) / "tunelab-checkpoints" / experiment_id
    path.mkdir(parents=True, exist_ok=True)
    return path


def _save_model(ctx: JobContext, experiment_id: str, automl: Any) -> str:
    model_id = uuid.uuid4().hex
    prefix = f"models/{model_id}"
    workdir = Path(tempfile.mkdtemp(prefix="tunelab-model-"))
    try:
        bundle = automl.save(workdir / "bundle")
        ctx.artifacts.put_dir(prefix, bundle)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    board = automl.leaderboard()
    best = board.iloc[0].to_dict() if len(board) else {}
    ctx.store.add_model(
        id=model_id,
        name=str(best.get("name") or best.get("family") or "model"),
        uri=prefix,
        experiment_id=experiment_id,
        task=str(automl.task_),
        metrics={"metric": automl.metric_, "best": best},
    )
    return model_id
