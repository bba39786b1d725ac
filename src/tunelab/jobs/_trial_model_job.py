"""The trial-model job: one leaderboard row of a run, fitted again as a model of its own.

The run's search keeps fold models of its best trials only while it runs, so a trial's model
is made on demand by **refitting**: the engine runs once more with the run's settings (same
split, seed, sampling and refit options) restricted to exactly that trial's family and
hyperparameters (``AutoML.from_settings(opening=...)``, ``max_trials=1``, no ensemble). The
result is a bundle like the final model's (evaluation, deployment, download), whose model
record names its run and trial. The column settings are the ones the run started with
(recorded beside its split), not the dataset's current ones.
"""

import dataclasses
from typing import Any

from tunelab.entities.platform import Experiment, Trial
from tunelab.jobs._automl_job import _column_preprocessing, _engine_settings, _save_model
from tunelab.jobs._context import JobContext
from tunelab.jobs._handlers import _read_dataset
from tunelab.jobs._run_columns import recorded_column_settings

MATERIALISED = "refit"  # how the model was made: its configuration refitted, see above


def trial_model_name(experiment: Experiment, run: int, trial: Trial) -> str:
    """``<experiment> · run 2 · trial 7 (lightgbm)``."""
    return f"{experiment.name} · run {run} · trial {trial.number} ({trial.family})"


def run_trial_model(ctx: JobContext) -> dict[str, Any]:
    """Refit trial ``trial`` of run ``run`` and save it as model ``model_id``."""
    from tunelab.automl import AutoML

    store = ctx.store
    experiment = store.get_experiment(ctx.require("experiment_id"))
    run = store.get_run(experiment.id, int(ctx.require("run")))
    trial = store.get_trial(experiment.id, int(ctx.require("trial")), run=run.number)
    ctx.set_step("reading")
    df = _read_dataset(ctx, experiment.dataset_id)
    ctx.check_cancelled()
    ctx.set_step("preparing")
    as_run = dataclasses.replace(
        experiment,
        settings={
            **run.settings,
            "algorithms": [trial.family],
            "max_trials": 1,
            "time_budget": None,
            "early_stopping_rounds": None,
            "ensemble": "none",
            "n_jobs": 1,
        },
        task=run.task or experiment.task,
        metric=run.metric or experiment.metric,
    )
    settings = _engine_settings(as_run, df)
    columns = recorded_column_settings(ctx, experiment.id, run.number)
    if columns is None:  # a run from before runs recorded them: the dataset's current ones
        message = "this run did not record its column settings; the current ones are used"
        ctx.emit("log", {"experiment_id": experiment.id, "level": "warning", "message": message})
        columns = dict(ctx.store.get_dataset(experiment.dataset_id).column_settings or {})
    automl = AutoML.from_settings(
        settings,
        preprocessing=_column_preprocessing(as_run, df, columns),
        opening=[(trial.family, trial.params)],
    )
    ctx.set_step("fitting")
    automl.fit(df, target=experiment.target)
    ctx.check_cancelled()
    ctx.set_step("saving")
    model_id = _save_model(
        ctx,
        experiment.id,
        automl,
        run.number,
        model_id=ctx.payload.get("model_id"),
        name=trial_model_name(experiment, run.number, trial),
        extra={"trial": trial.number, "materialised": MATERIALISED},
    )
    return {"experiment_id": experiment.id, "run": run.number, "model_id": model_id}
