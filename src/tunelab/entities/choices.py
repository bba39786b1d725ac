"""Allowed values and limits of the settings, declared once (no pydantic: the CLI help
reads them without loading the settings model)."""

from typing import Literal, get_args

from tunelab.entities.search import SplitKind
from tunelab.entities.tasks import TaskType

Sampler = Literal["tpe", "random", "grid", "cmaes", "qmc", "gp"]
Ensemble = Literal["greedy", "stacking", "none"]
LogLevel = Literal["debug", "info", "warning", "error"]
Synthesizer = Literal["copula", "ctgan", "none"]
ExecutorKind = Literal["local", "ray"]

SAMPLERS: tuple[str, ...] = get_args(Sampler)
ENSEMBLES: tuple[str, ...] = get_args(Ensemble)
LOG_LEVELS: tuple[str, ...] = get_args(LogLevel)
SYNTHESIZERS: tuple[str, ...] = get_args(Synthesizer)
EXECUTOR_KINDS: tuple[str, ...] = get_args(ExecutorKind)
TASKS: tuple[str, ...] = tuple(t.value for t in TaskType)
SPLIT_KINDS: tuple[str, ...] = tuple(k.value for k in SplitKind)
BALANCE_TARGETS = ("minority", "majority")

MAX_TIME_BUDGET = 7 * 24 * 3600.0  # seconds: a week
MAX_TRIALS = 1_000_000
MAX_N_JOBS = 64
THREADS_PER_TRIAL = 1  # default: every trial runs in one process with one thread
MAX_CPU_PER_TRIAL = 64
MAX_GPU_PER_TRIAL = 8
MAX_SEED = 2**31 - 1
