"""Background jobs: a queue in the metadata DB, worker processes, leases with heartbeats."""

from tunelab.jobs._context import JobCancelledError, JobContext
from tunelab.jobs._eda_job import EDA_PLOTS
from tunelab.jobs._main import run_worker
from tunelab.jobs._registry import JOB_KINDS, default_handlers
from tunelab.jobs._worker import Handler, Worker

__all__ = [
    "EDA_PLOTS",
    "JOB_KINDS",
    "Handler",
    "JobCancelledError",
    "JobContext",
    "Worker",
    "default_handlers",
    "run_worker",
]
