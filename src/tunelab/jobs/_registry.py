"""Job kinds and the functions that run them."""

from tunelab.jobs._automl_job import abort_automl, run_automl
from tunelab.jobs._eda_job import run_eda
from tunelab.jobs._evaluate_job import evaluate
from tunelab.jobs._handlers import batch_predict, deploy, parse_profile
from tunelab.jobs._worker import AbortHook, Handler

JOB_KINDS = ("parse_profile", "eda", "automl", "evaluate", "deploy", "batch_predict")


def default_handlers() -> dict[str, Handler]:
    """A fresh dict: job kind -> handler (add your own kinds to a copy)."""
    return {
        "parse_profile": parse_profile,
        "eda": run_eda,
        "automl": run_automl,
        "evaluate": evaluate,
        "deploy": deploy,
        "batch_predict": batch_predict,
    }


def default_abort_hooks() -> dict[str, AbortHook]:
    """Job kind -> what closes its records when the worker had to kill the job's process."""
    return {"automl": abort_automl}
