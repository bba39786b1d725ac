"""Metric collection as Katib's StdOut/File collectors do it, and the per-trial summary.

TEXT lines (StdOut and File/TEXT): only lines containing one of the metric names are parsed;
each regex of ``filter.metricsFormat`` (default ``name=value``) is applied with ``findall``,
its first group is the name and its second the value. A leading RFC3339 token is the
timestamp. JSON lines (File/JSON): one object per line; a metric value must be a JSON
*string* (numbers are skipped, as in Katib); ``timestamp`` is RFC3339 or a unix float.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from tunelab.katib.spec import UNAVAILABLE, Objective


@dataclass(frozen=True)
class Observation:
    name: str
    value: float
    timestamp: float


@dataclass(frozen=True)
class MetricSummary:
    """Katib's observation of one metric; None (``unavailable``) when never seen."""

    name: str
    min: float | None
    max: float | None
    latest: float | None

    def value(self, strategy: str) -> float | None:
        return {"min": self.min, "max": self.max, "latest": self.latest}[strategy]

    def to_json(self) -> dict[str, str]:
        def text(v: float | None) -> str:
            return UNAVAILABLE if v is None else repr(v)

        return {
            "name": self.name,
            "min": text(self.min),
            "max": text(self.max),
            "latest": text(self.latest),
        }

    @classmethod
    def from_json(cls, data: dict[str, str]) -> MetricSummary:
        def num(v: str) -> float | None:
            return None if v in (UNAVAILABLE, "", None) else float(v)

        return cls(data["name"], num(data["min"]), num(data["max"]), num(data["latest"]))


def _timestamp(token: str) -> float | None:
    try:
        return datetime.fromisoformat(token.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


class TextParser:
    """Parses ``name=value`` style lines for a fixed set of metric names."""

    def __init__(self, names: Iterable[str], regexes: Iterable[str]) -> None:
        self.names = tuple(names)
        self.patterns = [re.compile(r) for r in regexes]

    def parse(self, line: str) -> list[Observation]:
        if not any(name in line for name in self.names):
            return []
        stamp = time.time()
        head = line.strip().split(" ", 1)[0]
        parsed = _timestamp(head) if head[:1].isdigit() and len(head) >= 19 else None
        if parsed is not None:
            stamp = parsed
        out = []
        for pattern in self.patterns:
            for match in pattern.finditer(line):
                if pattern.groups < 2:
                    continue
                name, value = match.group(1), match.group(2)
                if name not in self.names or not value:
                    continue
                try:
                    out.append(Observation(name, float(value), stamp))
                except ValueError:
                    continue
        return out


class JsonParser:
    """Parses one JSON object per line; only string-valued metrics count."""

    def __init__(self, names: Iterable[str]) -> None:
        self.names = tuple(names)

    def parse(self, line: str) -> list[Observation]:
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            return []
        if not isinstance(record, dict):
            return []
        stamp = time.time()
        raw = record.get("timestamp")
        if isinstance(raw, int | float):
            stamp = float(raw)
        elif isinstance(raw, str):
            stamp = _timestamp(raw) or stamp
        out = []
        for name in self.names:
            value = record.get(name)
            if not isinstance(value, str):
                continue  # Katib skips non-string metric values
            try:
                out.append(Observation(name, float(value), stamp))
            except ValueError:
                continue
        return out


class MetricLog:
    """Thread-safe list of a trial's observations."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[Observation] = []

    def add(self, observations: Iterable[Observation]) -> None:
        with self._lock:
            self._items.extend(observations)

    def observations(self) -> list[Observation]:
        with self._lock:
            return list(self._items)

    def values(self, name: str) -> list[float]:
        with self._lock:
            return [o.value for o in self._items if o.name == name]

    def summarize(self, names: Iterable[str]) -> tuple[MetricSummary, ...]:
        out = []
        for name in names:
            vals = self.values(name)
            if vals:
                out.append(MetricSummary(name, min(vals), max(vals), vals[-1]))
            else:
                out.append(MetricSummary(name, None, None, None))
        return tuple(out)


def objective_value(objective: Objective, metrics: Iterable[MetricSummary]) -> float | None:
    """The objective metric's value under its strategy (None when unavailable)."""
    for summary in metrics:
        if summary.name == objective.objective_metric_name:
            return summary.value(objective.strategy(summary.name))
    return None
