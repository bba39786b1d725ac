"""One row of the leaderboard."""

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class TrialStatus(StrEnum):
    OK = "ok"
    FAILED = "failed"
    TIMED_OUT = "timed_out"  # over its own time limit (the per-trial timeout)
    PRUNED = "pruned"
    STOPPED = "stopped"  # cut short at the end of the search's time budget


@dataclass(frozen=True)
class TrialRecord:
    """The outcome of fitting one configuration.

    ``score`` is the validation score in the metric's natural direction (CV mean), ``score_std``
    its spread across folds; both None unless status is OK.
    """

    number: int
    family: str
    params: dict[str, Any]
    status: TrialStatus
    score: float | None = None
    score_std: float | None = None
    fit_time: float = 0.0
    predict_time: float = 0.0
    preprocessing: dict[str, Any] = field(default_factory=dict)
    reason: str = ""
    source: str = "search"  # baseline | portfolio | search | ensemble
    host: str = ""  # where it ran (the executor's node or host name); "" if unknown
    node_id: str = ""  # the executor's node id ("local": this machine's processes)
