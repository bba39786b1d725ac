"""The AutoML job: run the engine on an experiment, record trials live, keep the best model."""

import shutil
import tempfile
import threading
import uuid
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tunelab.entities import LOG_LEVELS, ExperimentSettings, SettingsError, parse_settings
from tunelab.entities.artifact_keys import checkpoint_prefix, model_prefix
from tunelab.entities.errors import DataError, public_message
from tunelab.entities.platform import (
    ConflictError,
    Experiment,
    ExperimentStatus,
    JobStatus,
    NotFoundError,
)
from tunelab.entities.tasks import TaskType
from tunelab.entities.trials import TrialRecord, TrialStatus
from tunelab.executors import (
    cluster_executor,
    configured_ray_addresses,
    local_host,
    ray_address_for,
)
from tunelab.jobs._automl_settings import experiment_settings, preprocessing_for
from tunelab.jobs._automl_splits import save_splits
from tunelab.jobs._checkpoint_sync import CheckpointMirror
from tunelab.jobs._cluster_job import METRIC as CLUSTER_METRIC
from tunelab.jobs._cluster_job import (
    clustering_engine,
    clustering_options,
    save_clustering_model,
)
from tunelab.jobs._context import JobCancelledError, JobContext
from tunelab.jobs._handlers import _read_dataset
from tunelab.jobs._run_columns import run_column_settings


def _now() -> tuple[str, float]:
    moment = datetime.now(UTC)
    return moment.isoformat(), moment.timestamp()


class StoreCallbacks:
    """AutoML callbacks that turn the search's progress into trial rows and job events.

    Every running trial holds a worker ``slot`` (0..n_jobs-1) so a live page can show one
    card per slot. ``log_level`` decides which ``log`` events are written besides the
    structured ``trial_start``/``trial_end``/``best`` events.
    """

    def __init__(
        self,
        ctx: JobContext,
        experiment_id: str,
        log_level: str = "info",
        run: int | None = None,
    ) -> None:
        self.ctx = ctx
        self.experiment_id = experiment_id
        self.run = run  # the run the trials belong to (the latest when None)
        self.log_level = log_level if log_level in LOG_LEVELS else "info"
        self._slots: dict[int, int] = {}
        self._lock = threading.Lock()
        # the host a starting trial runs on when known in advance (local processes); on a
        # Ray cluster the node is known when the trial ends (``trial_end``'s host/node_id)
        self.start_host = local_host()

    def log(self, level: str, message: str) -> None:
        """A ``log`` event when ``level`` is at or above the experiment's log level."""
        if LOG_LEVELS.index(level) >= LOG_LEVELS.index(self.log_level):
            self.ctx.emit(
                "log", {"experiment_id": self.experiment_id, "level": level, "message": message}
            )

    def _take_slot(self, number: int) -> int:
        with self._lock:
            used = set(self._slots.values())
            slot = next(i for i in range(len(used) + 1) if i not in used)
            self._slots[number] = slot
            return slot

    def _free_slot(self, number: int) -> int | None:
        with self._lock:
            return self._slots.pop(number, None)

    def on_trial_start(self, info: dict[str, Any]) -> None:
        started_at, started_ts = _now()
        number = int(info["number"])
        slot = self._take_slot(number)
        self.ctx.emit(
            "trial_start",
            {
                "experiment_id": self.experiment_id,
                **info,
                "slot": slot,
                "host": self.start_host,
                "started_at": started_at,
                "started_ts": started_ts,
            },
        )
        self.log("debug", f"trial {number} started: {info.get('family')} {info.get('params')}")

    def on_trial_restored(self, record: TrialRecord) -> None:
        """A trial a resumed search restored from its checkpoint: (re)write its row, which
        a worker killed just after the checkpoint commit may not have written; no event."""
        self.ctx.store.record_trial(self.experiment_id, record, run=self.run)

    def on_trial_end(self, record: TrialRecord) -> None:
        self.ctx.store.record_trial(self.experiment_id, record, run=self.run)
        ended_at, ended_ts = _now()
        self.ctx.emit(
            "trial_end",
            {
                "experiment_id": self.experiment_id,
                "number": record.number,
                "family": record.family,
                "params": record.params,
                "status": str(record.status),
                "score": record.score,
                "score_std": record.score_std,
                "fit_time": record.fit_time,
                "predict_time": record.predict_time,
                "source": record.source,
                "reason": record.reason,
                "host": record.host,
                "node_id": record.node_id,
                "slot": self._free_slot(record.number),
                "ended_at": ended_at,
                "ended_ts": ended_ts,
            },
        )
        if record.status is TrialStatus.OK:
            self.log("debug", f"trial {record.number} ({record.family}) scored {record.score}")
        else:
            level = "warning" if record.status is TrialStatus.FAILED else "info"
            self.log(
                level, f"trial {record.number} ({record.family}) {record.status}: {record.reason}"
            )

    def on_best(self, record: TrialRecord) -> None:
        self.ctx.emit(
            "best",
            {
                "experiment_id": self.experiment_id,
                "number": record.number,
                "family": record.family,
                "score": record.score,
            },
        )
        self.log("info", f"new best: trial {record.number} ({record.family}) {record.score}")


def run_automl(ctx: JobContext) -> dict[str, Any]:
    """Fit ``tunelab.AutoML`` (``ClusteringAutoML`` for task ``clustering``) on the
    experiment's dataset; a stop keeps the best so far."""
    store = ctx.store
    experiment = store.get_experiment(ctx.require("experiment_id"))
    run = ctx.payload.get("run")
    run = int(run) if run is not None else store.latest_run_number(experiment.id)
    callbacks = StoreCallbacks(
        ctx, experiment.id, experiment.settings.get("log_level", "info"), run=run
    )
    try:
        ctx.set_step("reading")
        df = _read_dataset(ctx, experiment.dataset_id)
        ctx.check_cancelled()
        ctx.set_step("preparing")
        outcome: dict[str, Any] | None
        if experiment.task == TaskType.CLUSTERING.value:
            outcome = _cluster(ctx, experiment, df, run, callbacks)
        else:
            outcome = _search(ctx, experiment, df, run, callbacks)
        if outcome is None:  # the next worker resumes from the checkpoint
            return {"experiment_id": experiment.id, "released": True}
    except Exception as exc:
        if ctx.released.is_set():
            raise
        _drop_checkpoint(ctx, experiment.id)
        stopped = isinstance(exc, JobCancelledError)
        if not stopped:
            callbacks.log("error", public_message(exc))
        store.transition_experiment(
            experiment.id,
            to=ExperimentStatus.STOPPED if stopped else ExperimentStatus.FAILED,
            allowed_from=[ExperimentStatus.RUNNING],
            error="" if stopped else public_message(exc),
        )
        ctx.emit(
            "experiment_" + ("stopped" if stopped else "failed"),
            {"experiment_id": experiment.id, "error": "" if stopped else public_message(exc)},
        )
        raise
    _drop_checkpoint(ctx, experiment.id)  # a later start searches afresh
    final = ExperimentStatus.STOPPED if ctx.cancelled else ExperimentStatus.FINISHED
    store.transition_experiment(
        experiment.id,
        to=final,
        allowed_from=[ExperimentStatus.RUNNING],
        best_model_id=outcome["model_id"],
        task=outcome["task"],
        metric=outcome["metric"],
        error="",
    )
    ctx.emit(
        "experiment_" + final.value,
        {
            "experiment_id": experiment.id,
            "model_id": outcome["model_id"],
            "stop_reason": outcome["stop_reason"],
            "fit_time": outcome["fit_time"],
        },
    )
    return {
        "experiment_id": experiment.id,
        "run": run,
        "model_id": outcome["model_id"],
        "n_trials": outcome["n_trials"],
    }


def _cluster(
    ctx: JobContext, experiment: Experiment, df: Any, run: int, callbacks: StoreCallbacks
) -> dict[str, Any]:
    """A clustering experiment: the clustering search, its candidates as trial rows."""
    experiment = ctx.store.update_experiment(experiment.id, metric=CLUSTER_METRIC)
    _emit_run_start(ctx, experiment, experiment_settings(experiment), None)
    ctx.set_step("search")
    engine = clustering_engine(experiment, callbacks)
    done = threading.Event()
    watcher = threading.Thread(target=_stop_on_cancel, args=(ctx, engine, done), daemon=True)
    watcher.start()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            engine.fit(df, label=clustering_options(experiment).label)
    finally:
        done.set()
        watcher.join()
    for message in dict.fromkeys(str(w.message) for w in caught):
        callbacks.log("warning", message)
    ctx.set_step("saving")
    search = engine.search_
    return {
        "model_id": save_clustering_model(ctx, experiment.id, engine, run),
        "task": TaskType.CLUSTERING.value,
        "metric": CLUSTER_METRIC,
        "stop_reason": search.stop_reason_,
        "fit_time": search.fit_time_,
        "n_trials": len(search.candidates_),
    }


def _search(
    ctx: JobContext, experiment: Experiment, df: Any, run: int, callbacks: StoreCallbacks
) -> dict[str, Any] | None:
    """A supervised experiment: the AutoML search (None when the job was released)."""
    from tunelab.automl import AutoML

    experiment = _settle_task_and_metric(ctx, experiment, df)
    settings = _engine_settings(experiment, df)
    mirror = _mirror(ctx, experiment.id)
    if mirror is not None and mirror.restore():
        callbacks.log("info", "resuming from the checkpoint in the artifact store")
    # executor "ray" (or none with tunelab worker --ray-address): the trials run on a
    # configured cluster, connected for this job only; "local": no Ray start-up at all
    address = ray_address_for(settings.executor, configured_ray_addresses())
    if address is not None:
        callbacks.log("info", f"trials run on the Ray cluster at {address}")
        callbacks.start_host = ""
    executor = cluster_executor(address)
    # the mirror pushes a finished trial to the store before its row is recorded
    hooks = [callbacks] if mirror is None else [mirror, callbacks]
    automl = AutoML.from_settings(
        settings,
        preprocessing=_column_preprocessing(
            experiment, df, run_column_settings(ctx, experiment, run)
        ),
        callbacks=hooks,
        checkpoint_dir=str(_checkpoint_dir(ctx, experiment.id)),
        executor=executor,
    )
    _emit_run_start(ctx, experiment, settings, address)
    done = threading.Event()
    watcher = threading.Thread(target=_stop_on_cancel, args=(ctx, automl, done), daemon=True)
    watcher.start()
    ctx.set_step("search")  # profiling, search, ensemble and refit in the engine
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            automl.fit(df, target=experiment.target)
    finally:
        done.set()
        watcher.join()
        if executor is not None:
            executor.shutdown()
    for message in dict.fromkeys(str(w.message) for w in caught):
        callbacks.log("warning", message)
    if ctx.released.is_set():  # the next worker resumes from the checkpoint
        return None
    ctx.set_step("saving")
    splits = save_splits(ctx, experiment.id, df, automl, run)
    ctx.emit("splits", {"experiment_id": experiment.id, **splits})
    return {
        "model_id": _save_model(ctx, experiment.id, automl, run),
        "task": str(automl.task_),
        "metric": automl.metric_,
        "stop_reason": automl.stop_reason_,
        "fit_time": automl.fit_time_,
        "n_trials": len(automl.trials_),
    }


def _engine_settings(experiment: Experiment, df: Any) -> ExperimentSettings:
    """The experiment's settings as the engine takes them (class labels encoded)."""
    settings = experiment_settings(experiment)
    sampling = settings.sampling
    if sampling is not None and sampling.balance_to not in (None, "minority", "majority"):
        # the engine balances on encoded labels (0..k-1, in sorted label order)
        encoded = _encoded_label(df, experiment, str(sampling.balance_to))
        data = settings.model_dump(exclude_unset=True)
        data["sampling"] = {**sampling.model_dump(exclude_unset=True), "balance_to": encoded}
        settings = parse_settings(data, ExperimentSettings)
    return settings


def abort_automl(ctx: JobContext, status: JobStatus, error: str) -> None:
    """The AutoML job's process was killed (cancel grace over, memory limit) or died: close
    its experiment as the handler would have (stopped or failed) and drop its checkpoint."""
    experiment_id = ctx.payload.get("experiment_id")
    if not experiment_id:
        return
    _drop_checkpoint(ctx, experiment_id)
    stopped = status is JobStatus.CANCELLED
    try:
        ctx.store.transition_experiment(
            experiment_id,
            to=ExperimentStatus.STOPPED if stopped else ExperimentStatus.FAILED,
            allowed_from=[ExperimentStatus.RUNNING],
            error="" if stopped else error,
        )
    except (ConflictError, NotFoundError):
        return
    ctx.emit(
        "experiment_" + ("stopped" if stopped else "failed"),
        {"experiment_id": experiment_id, "error": error},
    )


def _column_preprocessing(experiment: Experiment, df: Any, column_settings: dict[str, Any]) -> Any:
    """The recommendation with the run's per-column settings (None when there are none:
    the engine then recommends for itself)."""
    if not column_settings:
        return None
    from tunelab.data import prepare_target, profile_dataset
    from tunelab.preprocessing import recommend

    prepared = prepare_target(df, experiment.target, experiment.task)
    frame = prepared.X.assign(**{experiment.target: prepared.y.to_numpy()})
    profile = profile_dataset(frame, target=experiment.target, task=prepared.task)
    return preprocessing_for(recommend(profile, experiment.target), None, column_settings)


def _encoded_label(df: Any, experiment: Experiment, label: str) -> str:
    """The engine's class index of ``label`` (classes are the sorted distinct target values)."""
    import numpy as np

    from tunelab.data import prepare_target

    classes = np.unique(prepare_target(df, experiment.target, experiment.task).y.to_numpy())
    for index, value in enumerate(classes):
        text = str(value.item() if hasattr(value, "item") else value)
        whole = isinstance(value, float) and value.is_integer()
        if label == text or (whole and label == str(int(value))):
            return str(index)
    message = f"class {label!r} is not a value of target {experiment.target!r}"
    raise SettingsError([("sampling.balance_to", message)])


def _emit_run_start(
    ctx: JobContext, experiment: Experiment, settings: ExperimentSettings, ray_address: str | None
) -> None:
    started_at, started_ts = _now()
    ctx.emit(
        "run_start",
        {
            "experiment_id": experiment.id,
            "task": experiment.task,
            "metric": experiment.metric,
            "n_jobs": settings.n_jobs,
            "time_budget": settings.time_budget,
            "trial_timeout": settings.trial_timeout,
            "max_trials": settings.max_trials,
            "algorithms": list(settings.algorithms or []),
            "memory_limit_mb": settings.memory_limit_mb,
            "cpu_per_trial": settings.cpu_per_trial,
            "gpu_per_trial": settings.gpu_per_trial,
            "threads_per_trial": settings.cpu_per_trial,
            "executor": "local" if ray_address is None else "ray",
            "ray_address": ray_address,
            "started_at": started_at,
            "started_ts": started_ts,
        },
    )


def _settle_task_and_metric(ctx: JobContext, experiment: Experiment, df: Any) -> Experiment:
    """Fill in the task and metric the engine will use, so the live leaderboard is ordered."""
    if not experiment.target:
        raise DataError("the experiment has no target column: set one first")
    if experiment.target not in df.columns:
        raise DataError(f"target column {experiment.target!r} is not in the dataset")
    if experiment.task and experiment.metric:
        return experiment
    from tunelab.data import infer_task
    from tunelab.evaluation import default_metric

    task = experiment.task or str(infer_task(df[experiment.target].dropna()))
    metric = experiment.metric or default_metric(task).name
    return ctx.store.update_experiment(experiment.id, task=task, metric=metric)


def _stop_on_cancel(ctx: JobContext, automl: Any, done: threading.Event) -> None:
    while not done.is_set():
        if ctx.cancel_event.wait(0.2):
            automl.stop()
            return


def _drop_checkpoint(ctx: JobContext, experiment_id: str) -> None:
    """Remove the search checkpoint of an attempt that ended (not one handed to a worker)."""
    mirror = _mirror(ctx, experiment_id)
    if mirror is not None:
        mirror.drop()
    shutil.rmtree(_checkpoint_dir(ctx, experiment_id), ignore_errors=True)


def _mirror(ctx: JobContext, experiment_id: str) -> CheckpointMirror | None:
    """With remote artifacts, the copy of the checkpoint that any worker resumes from."""
    if ctx.artifacts.is_local:
        return None
    folder = _checkpoint_dir(ctx, experiment_id)
    return CheckpointMirror(ctx.artifacts, checkpoint_prefix(experiment_id), folder)


def _checkpoint_dir(ctx: JobContext, experiment_id: str) -> Path:
    """Where finished trials persist so a retried job resumes: in the artifact store when it
    is local, else a local folder mirrored to the store (``CheckpointMirror``)."""
    if ctx.artifacts.is_local:
        path = Path(ctx.artifacts.root) / "checkpoints" / experiment_id
    else:
        path = Path(tempfile.gettempdir()) / "tunelab-checkpoints" / experiment_id
    path.mkdir(parents=True, exist_ok=True)
    return path


def _save_model(
    ctx: JobContext,
    experiment_id: str,
    automl: Any,
    run: int,
    *,
    model_id: str | None = None,
    name: str | None = None,
    extra: dict[str, Any] | None = None,
) -> str:
    """Store the fitted engine's bundle as a model of run ``run`` (``extra`` goes into its
    metrics: e.g. the trial a trial model was made from)."""
    model_id = model_id or uuid.uuid4().hex
    prefix = model_prefix(model_id)
    workdir = Path(tempfile.mkdtemp(prefix="tunelab-model-"))
    try:
        from tunelab.data import data_dictionary

        dataset = ctx.store.get_dataset(ctx.store.get_experiment(experiment_id).dataset_id)
        bundle = automl.save(
            workdir / "bundle", data_dictionary=data_dictionary(dataset.column_settings)
        )
        ctx.artifacts.put_dir(prefix, bundle)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    board = automl.leaderboard()
    best = board.iloc[0].to_dict() if len(board) else {}
    ctx.store.add_model(
        id=model_id,
        name=name or str(best.get("name") or best.get("family") or "model"),
        uri=prefix,
        experiment_id=experiment_id,
        task=str(automl.task_),
        metrics={
            "metric": automl.metric_,
            "validation": str(getattr(automl, "split_description_", "") or ""),
            "best": best,
            "run": run,
            **(extra or {}),
        },
    )
    return model_id
