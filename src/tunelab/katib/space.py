"""Katib parameters as Optuna distributions, grid values and Katib string assignments.

Mapping: ``int`` -> IntDistribution(min, max, step), ``double`` -> FloatDistribution(min,
max, step), ``logUniform`` -> log=True (step dropped, Optuna forbids both), ``normal`` /
``logNormal`` are sampled uniform / log-uniform inside [min, max] (Optuna has no normal
prior), ``categorical`` and ``discrete`` -> CategoricalDistribution over the list strings.
"""

from __future__ import annotations

import math
from typing import Any

from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

from tunelab.katib.spec import ParameterSpec


def is_log(param: ParameterSpec) -> bool:
    return param.feasible_space.distribution in ("logUniform", "logNormal")


def to_distribution(param: ParameterSpec) -> BaseDistribution:
    """The Optuna distribution sampling one Katib parameter."""
    fs = param.feasible_space
    if param.parameter_type == "int":
        low, high = int(fs.min or 0), int(fs.max or 0)
        step = int(fs.step) if fs.step and not is_log(param) else 1
        return IntDistribution(low, high, log=is_log(param), step=step)
    if param.parameter_type == "double":
        low_f, high_f = float(fs.min or 0.0), float(fs.max or 0.0)
        step_f = float(fs.step) if fs.step and not is_log(param) else None
        return FloatDistribution(low_f, high_f, log=is_log(param), step=step_f)
    return CategoricalDistribution(list(fs.list))


def grid_values(param: ParameterSpec) -> list[Any]:
    """Every grid point of one parameter (double needs a step; validated beforehand)."""
    fs = param.feasible_space
    if param.parameter_type == "int":
        return list(range(int(fs.min or 0), int(fs.max or 0) + 1, int(fs.step or 1)))
    if param.parameter_type == "double":
        low, high, step = float(fs.min or 0), float(fs.max or 0), float(fs.step or 0)
        count = math.floor((high - low) / step + 1e-9) + 1
        return [round(low + k * step, 12) for k in range(count)]
    return list(fs.list)


def grid_size(params: tuple[ParameterSpec, ...]) -> int:
    return math.prod(len(grid_values(p)) for p in params)


def format_value(param: ParameterSpec, value: Any) -> str:
    """A sampled value as the string Katib puts in parameterAssignments."""
    if param.parameter_type == "int":
        return str(int(value))
    if param.parameter_type == "double":
        return repr(float(value))
    return str(value)


def parse_value(param: ParameterSpec, text: str) -> Any:
    """The inverse of :func:`format_value` (used by resume and the Python API)."""
    if param.parameter_type == "int":
        return int(float(text))
    if param.parameter_type == "double":
        return float(text)
    if param.parameter_type == "discrete":
        number = float(text)
        return int(number) if number.is_integer() and "." not in text else number
    return text
