"""Search-space helpers mirroring the Katib SDK's ``katib.search``: double, int, categorical.

>>> from tunelab.katib import search
>>> space = {"lr": search.double(1e-4, 1e-1, log=True), "depth": search.int_(2, 8)}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tunelab.entities import ConfigError


@dataclass(frozen=True)
class Double:
    min: float
    max: float
    step: float | None = None
    log: bool = False

    def to_katib(self, name: str) -> dict[str, Any]:
        space: dict[str, Any] = {"min": repr(float(self.min)), "max": repr(float(self.max))}
        if self.step is not None:
            space["step"] = repr(float(self.step))
        if self.log:
            space["distribution"] = "logUniform"
        return {"name": name, "parameterType": "double", "feasibleSpace": space}

    def decode(self, value: Any) -> Any:
        return float(value)


@dataclass(frozen=True)
class Int:
    min: int
    max: int
    step: int = 1
    log: bool = False

    def to_katib(self, name: str) -> dict[str, Any]:
        space: dict[str, Any] = {"min": str(int(self.min)), "max": str(int(self.max))}
        if self.step != 1:
            space["step"] = str(int(self.step))
        if self.log:
            space["distribution"] = "logUniform"
        return {"name": name, "parameterType": "int", "feasibleSpace": space}

    def decode(self, value: Any) -> Any:
        return int(value)


@dataclass(frozen=True)
class Categorical:
    values: tuple[Any, ...]

    def to_katib(self, name: str) -> dict[str, Any]:
        return {
            "name": name,
            "parameterType": "categorical",
            "feasibleSpace": {"list": [str(v) for v in self.values]},
        }

    def decode(self, value: Any) -> Any:
        for item in self.values:  # Katib values are strings: map back to the original object
            if str(item) == str(value):
                return item
        return value


SearchSpec = Double | Int | Categorical


def double(min: float, max: float, step: float | None = None, log: bool = False) -> Double:
    """A float parameter in [min, max] (log-uniform with ``log=True``)."""
    return Double(float(min), float(max), None if step is None else float(step), log)


def int_(min: int, max: int, step: int = 1, log: bool = False) -> Int:
    """An integer parameter in [min, max] with ``step``."""
    return Int(int(min), int(max), int(step), log)


integer = int_


def categorical(values: Sequence[Any]) -> Categorical:
    """One of ``values`` (passed back to the objective as the original objects)."""
    if isinstance(values, str) or not values:
        raise ConfigError("categorical: values must be a non-empty list")
    return Categorical(tuple(values))


def space_from_mapping(data: Mapping[str, Any]) -> dict[str, SearchSpec]:
    """Read ``{name: {type: double|int|categorical, min, max, step, log, values}}``."""
    space: dict[str, SearchSpec] = {}
    for name, item in data.items():
        if not isinstance(item, Mapping):
            raise ConfigError(f"parameters.{name}: must be a mapping with a 'type'")
        kind = item.get("type")
        try:
            if kind == "double":
                space[name] = double(
                    item["min"], item["max"], item.get("step"), bool(item.get("log", False))
                )
            elif kind in ("int", "integer"):
                space[name] = int_(
                    item["min"], item["max"], item.get("step", 1), bool(item.get("log", False))
                )
            elif kind == "categorical":
                space[name] = categorical(item["values"])
            else:
                raise ConfigError(
                    f"parameters.{name}.type: must be double, int or categorical, got {kind!r}"
                )
        except KeyError as exc:
            raise ConfigError(f"parameters.{name}.{exc.args[0]}: must be set") from exc
    return space
