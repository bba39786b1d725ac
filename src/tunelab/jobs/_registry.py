"""Job kinds and the functions that run them."""

from tunelab.entities.platform import JobKind
from tunelab.jobs._automl_job import abort_automl, run_automl
from tunelab.jobs._eda_job import run_eda
from tunelab.jobs._evaluate_job import evaluate
from tunelab.jobs._export_job import run_export
from tunelab.jobs._handlers import batch_predict, deploy, parse_profile
from tunelab.jobs._monitor_job import run_monitor
from tunelab.jobs._retrain_job import run_retrain
from tunelab.jobs._trial_model_job import run_trial_model
from tunelab.jobs._worker import AbortHook, Handler

JOB_KINDS = tuple(kind.value for kind in JobKind)


def default_handlers() -> dict[str, Handler]:
    """A fresh dict: job kind -> handler (add your own kinds to a copy)."""
    return {
        JobKind.PARSE_PROFILE: parse_profile,
        JobKind.EDA: run_eda,
        JobKind.AUTOML: run_automl,
        JobKind.EVALUATE: evaluate,
        JobKind.DEPLOY: deploy,
        JobKind.BATCH_PREDICT: batch_predict,
        JobKind.TRIAL_MODEL: run_trial_model,
        JobKind.MONITOR: run_monitor,
        JobKind.RETRAIN: run_retrain,
        JobKind.EXPORT: run_export,
    }


def default_abort_hooks() -> dict[str, AbortHook]:
    """Job kind -> what closes its records when the worker had to kill the job's process."""
    return {"automl": abort_automl, "retrain": abort_automl}
