"""Routes of a deployment's traffic: weighted draws or request-key hashing between the
versions behind registry references, and the compatibility rule between them."""

import hashlib
import random
from bisect import bisect_right
from dataclasses import dataclass, field
from itertools import accumulate

from tunelab.entities.errors import ConfigError
from tunelab.server.predictor import Predictor


def key_position(key: str) -> float:
    """A stable position in [0, 1) for a request key (same key, same route)."""
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64


@dataclass(frozen=True)
class Route:
    """A reference as configured (``name@champion``) and the version answering for it."""

    reference: str
    label: str  # "name/3" (or the model id of a deployment outside the registry)
    weight: float
    predictor: Predictor = field(repr=False)


@dataclass(frozen=True)
class TrafficPlan:
    deployment_id: str
    routes: tuple[Route, ...]
    shadows: tuple[Route, ...] = ()
    sticky: bool = False
    rng: random.Random = field(default_factory=random.Random, repr=False, compare=False)

    def __post_init__(self) -> None:
        bounds = list(accumulate(r.weight for r in self.routes))
        object.__setattr__(self, "_bounds", bounds)

    def choose(self, key: str | None = None) -> Route:
        """The route of one request: by the key's hash when sticky, else a weighted draw."""
        if len(self.routes) == 1:
            return self.routes[0]
        bounds: list[float] = self._bounds  # type: ignore[attr-defined]
        position = key_position(key) if self.sticky and key else self.rng.random()
        index = bisect_right(bounds, position * bounds[-1])
        return self.routes[min(index, len(self.routes) - 1)]

    @property
    def labels(self) -> list[str]:
        return [r.label for r in self.routes + self.shadows]


def check_compatible(first: Route, other: Route) -> None:
    """ConfigError unless ``other`` has the task, input columns and classes of ``first``."""
    a, b = first.predictor.bundle, other.predictor.bundle
    if a.task != b.task:
        raise ConfigError(
            f"{other.reference} ({other.label}) is a {b.task.value} model but "
            f"{first.reference} is {a.task.value}"
        )
    if first.predictor.fields != other.predictor.fields:
        diff = sorted(first.predictor.fields ^ other.predictor.fields)
        raise ConfigError(
            f"{other.reference} ({other.label}) takes other input columns than "
            f"{first.reference}: {', '.join(diff[:5])}"
        )
    if list(a.classes or []) != list(b.classes or []):
        raise ConfigError(
            f"{other.reference} ({other.label}) predicts classes {b.classes}, "
            f"{first.reference} predicts {a.classes}"
        )
