"""Background jobs: a queue in the metadata DB, worker processes, leases with heartbeats."""

from tunelab.jobs._context import JobCancelledError, JobContext
from tunelab.jobs._eda_figures import parallel_coordinates as parallel_coordinates_figure
from tunelab.jobs._eda_job import EDA_PLOTS
from tunelab.jobs._export_job import export_bundle_format
from tunelab.jobs._isolation import JobLimits, default_memory_limit_mb
from tunelab.jobs._main import run_worker
from tunelab.jobs._monitor_job import RULE_KINDS
from tunelab.jobs._monitoring import drift_of, label_id_range, logged_window, performance_of
from tunelab.jobs._registry import JOB_KINDS, default_abort_hooks, default_handlers
from tunelab.jobs._supervisor import WorkerSupervisor
from tunelab.jobs._webhook import check_webhook_url
from tunelab.jobs._worker import Handler, Worker

__all__ = [
    "EDA_PLOTS",
    "JOB_KINDS",
    "RULE_KINDS",
    "Handler",
    "JobCancelledError",
    "JobContext",
    "JobLimits",
    "Worker",
    "WorkerSupervisor",
    "check_webhook_url",
    "default_abort_hooks",
    "default_handlers",
    "default_memory_limit_mb",
    "drift_of",
    "export_bundle_format",
    "label_id_range",
    "logged_window",
    "parallel_coordinates_figure",
    "performance_of",
    "run_worker",
]
