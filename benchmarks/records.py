"""The raw result of one system on one dataset split: what the JSON twin stores."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

STATUSES = ("ok", "failed", "timeout")


@dataclass
class RunRecord:
    """One run: a system, a dataset, a seed; its scores, time and memory.

    ``status`` is ``ok``, ``failed`` (exception or non-zero exit) or ``timeout`` (killed at
    the hard limit). ``overrun_pct`` compares the fit time with the budget; it is None for
    systems without a budget (lightgbm_default).
    """

    system: str
    dataset: str
    task: str
    metric: str
    seed: int
    status: str
    rows: int = 0
    n_train: int = 0
    n_test: int = 0
    budget: float | None = None
    score: float | None = None
    scores: dict[str, float] = field(default_factory=dict)
    fit_seconds: float | None = None
    wall_seconds: float | None = None
    overrun_pct: float | None = None
    peak_mb: float | None = None
    error: str | None = None
    versions: dict[str, str] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when the run finished and was scored."""
        return self.status == "ok" and self.score is not None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunRecord:
        """Inverse of to_dict; unknown keys (from newer harness versions) are ignored."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def overrun_pct(fit_seconds: float | None, budget: float | None) -> float | None:
    """How far the fit time went past the budget, in percent (negative when under)."""
    if fit_seconds is None or not budget:
        return None
    return 100.0 * (fit_seconds - budget) / budget
