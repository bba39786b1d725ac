"""The conditional search space: a model family, then that family's hyperparameters."""

from typing import Any

import numpy as np
import optuna
from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

from tunelab.models import ModelContext, ModelSpec

FAMILY = "family"


def param_key(family: str, name: str) -> str:
    """Name of a family's hyperparameter inside the Optuna study."""
    return f"{family}:{name}"


def suggest(trial: optuna.Trial, name: str, distribution: BaseDistribution) -> Any:
    """Ask ``trial`` for a value of ``distribution`` through the public suggest API."""
    if isinstance(distribution, FloatDistribution):
        return trial.suggest_float(
            name,
            distribution.low,
            distribution.high,
            log=distribution.log,
            step=distribution.step,
        )
    if isinstance(distribution, IntDistribution):
        return trial.suggest_int(
            name,
            distribution.low,
            distribution.high,
            log=distribution.log,
            step=distribution.step,
        )
    if isinstance(distribution, CategoricalDistribution):
        return trial.suggest_categorical(name, list(distribution.choices))
    raise TypeError(f"unsupported distribution for {name!r}: {distribution!r}")


def discretize(distribution: BaseDistribution, points: int) -> BaseDistribution:
    """A categorical grid of ``points`` values spanning a numeric distribution."""
    if isinstance(distribution, FloatDistribution | IntDistribution):
        low, high = float(distribution.low), float(distribution.high)
        if distribution.log:
            values = np.geomspace(low, high, points)
        else:
            values = np.linspace(low, high, points)
        if isinstance(distribution, IntDistribution):
            return CategoricalDistribution(sorted({round(v) for v in values}))
        return CategoricalDistribution([float(v) for v in values])
    return distribution


class SearchSpace:
    """Joint space over families; each family's parameters start from its defaults."""

    def __init__(
        self, specs: list[ModelSpec], ctx: ModelContext, *, grid_points: int | None = None
    ) -> None:
        if not specs:
            raise ValueError("the search space needs at least one model family")
        self.specs = {spec.name: spec for spec in specs}
        self.ctx = ctx
        self.spaces = {spec.name: spec.search_space(ctx) for spec in specs}
        if grid_points:
            self.spaces = {
                family: {name: discretize(dist, grid_points) for name, dist in space.items()}
                for family, space in self.spaces.items()
            }

    @property
    def families(self) -> list[str]:
        return list(self.specs)

    def sample(self, trial: optuna.Trial) -> tuple[str, dict[str, Any]]:
        """Suggest a family and its hyperparameters on ``trial``."""
        family = str(trial.suggest_categorical(FAMILY, self.families))
        params = dict(self.specs[family].default_params(self.ctx))
        for name, distribution in self.spaces[family].items():
            params[name] = suggest(trial, param_key(family, name), distribution)
        return family, params

    def as_frozen_trial(
        self, family: str, params: dict[str, Any], value: float | None
    ) -> optuna.trial.FrozenTrial:
        """A finished Optuna trial describing a configuration chosen outside the sampler.

        Only the parameters that lie inside the family's space are recorded (others, such as
        a portfolio's extra switches, are invisible to the sampler).
        """
        distributions: dict[str, BaseDistribution] = {
            FAMILY: CategoricalDistribution(self.families)
        }
        recorded: dict[str, Any] = {FAMILY: family}
        for name, distribution in self.spaces.get(family, {}).items():
            if name not in params:
                continue
            value_ = params[name]
            try:
                internal = distribution.to_internal_repr(value_)
                inside = distribution._contains(internal)
            except (ValueError, TypeError):
                inside = False
            if inside:
                key = param_key(family, name)
                distributions[key] = distribution
                recorded[key] = value_
        state = (
            optuna.trial.TrialState.COMPLETE if value is not None else optuna.trial.TrialState.FAIL
        )
        return optuna.trial.create_trial(
            params=recorded, distributions=distributions, value=value, state=state
        )
