"""Katib algorithm names and settings: validation and the Optuna sampler for each.

| Katib | local engine |
|---|---|
| random | RandomSampler(seed=random_state) |
| grid | GridSampler over every step/list combination |
| tpe | TPESampler(gamma, prior_weight, n_ei_candidates=n_EI_candidates, seed) |
| multivariate-tpe | TPESampler(multivariate=True, n_startup_trials, n_ei_candidates, seed) |
| bayesianoptimization | GPSampler(n_startup_trials=n_initial_points) with torch, else TPE |
| cmaes | CmaEsSampler(sigma0=sigma) when ``cmaes`` is installed, else TPE |
| sobol | QMCSampler(qmc_type="sobol", scramble=True) |
| hyperband | successive-halving brackets over ``resource_name`` (see hyperband.py) |
"""

from __future__ import annotations

import importlib.util
import math
import warnings
from collections.abc import Callable

import optuna

from tunelab.katib.space import grid_size, grid_values
from tunelab.katib.spec import ExperimentSpec, KatibSpecError

_SETTINGS: dict[str, tuple[str, ...]] = {
    "random": ("random_state",),
    "grid": ("random_state",),
    "tpe": ("gamma", "prior_weight", "n_EI_candidates", "n_startup_jobs", "random_state"),
    "multivariate-tpe": ("n_startup_trials", "n_ei_candidates", "random_state"),
    "bayesianoptimization": (
        "base_estimator",
        "n_initial_points",
        "acq_func",
        "acq_optimizer",
        "random_state",
    ),
    "cmaes": ("random_state", "sigma", "restart_strategy"),
    "sobol": ("random_state",),
    "hyperband": ("r_l", "eta", "resource_name", "random_state"),
}
CLUSTER_ONLY = ("pbt", "enas", "darts")
ALGORITHMS = tuple(_SETTINGS)
_CHOICES = {
    "base_estimator": ("GP", "RF", "ET", "GBRT"),
    "acq_func": ("gp_hedge", "LCB", "EI", "PI", "EIps", "PIps"),
    "acq_optimizer": ("auto", "sampling", "lbfgs"),
    "restart_strategy": ("none", "ipop", "bipop"),
}


def _check(value: str, kind: Callable[[str], float], ok: Callable[[float], bool]) -> bool:
    try:
        return ok(kind(value))
    except ValueError:
        return False


_RULES: dict[str, tuple[Callable[[str], bool], str]] = {
    "random_state": (lambda v: _check(v, int, lambda x: x >= 0), "a non-negative integer"),
    "gamma": (lambda v: _check(v, float, lambda x: 0 < x < 1), "a number in (0, 1)"),
    "prior_weight": (lambda v: _check(v, float, lambda x: x > 0), "a positive number"),
    "n_EI_candidates": (lambda v: _check(v, int, lambda x: x > 0), "a positive integer"),
    "n_ei_candidates": (lambda v: _check(v, int, lambda x: x > 0), "a positive integer"),
    "n_startup_jobs": (lambda v: _check(v, int, lambda x: x >= 0), "a non-negative integer"),
    "n_startup_trials": (lambda v: _check(v, int, lambda x: x >= 0), "a non-negative integer"),
    "n_initial_points": (lambda v: _check(v, int, lambda x: x >= 0), "a non-negative integer"),
    "sigma": (lambda v: _check(v, float, lambda x: x > 0), "a positive number"),
    "r_l": (lambda v: _check(v, float, lambda x: x > 0), "a positive number"),
    "eta": (lambda v: _check(v, float, lambda x: x > 1), "a number greater than 1"),
}


def validate_algorithm(spec: ExperimentSpec) -> list[str]:
    """Errors in ``spec.algorithm`` as Katib's suggestion services report them."""
    path = "spec.algorithm"
    name = spec.algorithm.algorithm_name
    if name in CLUSTER_ONLY:
        return [
            f"{path}.algorithmName: {name!r} needs a Kubernetes cluster (not supported "
            f"locally); use one of {', '.join(ALGORITHMS)}"
        ]
    if name not in _SETTINGS:
        return [
            f"{path}.algorithmName: unknown algorithm {name!r}; known: {', '.join(ALGORITHMS)}"
        ]
    errors: list[str] = []
    for i, (key, value) in enumerate(spec.algorithm.algorithm_settings):
        spath = f"{path}.algorithmSettings[{i}]"
        if key not in _SETTINGS[name]:
            errors.append(f"{spath}.name: unknown setting {key!r} for algorithm {name}")
        elif key in _CHOICES and value not in _CHOICES[key]:
            errors.append(f"{spath}.value: {key} must be one of {', '.join(_CHOICES[key])}")
        elif key in _RULES and not _RULES[key][0](value):
            errors.append(f"{spath}.value: {key} must be {_RULES[key][1]}, got {value!r}")
    if errors:
        return errors
    if name == "grid":
        errors.extend(_validate_grid(spec))
    elif name == "hyperband":
        errors.extend(_validate_hyperband(spec))
    elif name == "cmaes":
        errors.extend(_validate_cmaes(spec))
    return errors


def _validate_grid(spec: ExperimentSpec) -> list[str]:
    errors = [
        f"spec.parameters[{i}].feasibleSpace.step: must be set for double parameters with the "
        "grid algorithm"
        for i, p in enumerate(spec.parameters)
        if p.parameter_type == "double" and not p.feasible_space.step
    ]
    if not errors and spec.max_trial_count is not None:
        combos = grid_size(spec.parameters)
        if spec.max_trial_count > combos:
            errors.append(
                f"spec.maxTrialCount: {spec.max_trial_count} must be less than or equal to the "
                f"number of grid combinations ({combos})"
            )
    if not errors and any(len(grid_values(p)) == 0 for p in spec.parameters):
        errors.append("spec.parameters: a parameter has no grid point")
    return errors


def hyperband_settings(spec: ExperimentSpec) -> tuple[float, float, str]:
    """(r_l, eta, resource_name) of a validated hyperband spec."""
    algo = spec.algorithm
    return (
        float(algo.setting("r_l") or 0),
        float(algo.setting("eta") or 3),
        algo.setting("resource_name") or "",
    )


def hyperband_min_parallel(r_l: float, eta: float) -> int:
    s_max = math.floor(math.log(r_l) / math.log(eta) + 1e-9)
    return math.ceil(eta**s_max)


def _validate_hyperband(spec: ExperimentSpec) -> list[str]:
    path = "spec.algorithm.algorithmSettings"
    errors = []
    algo = spec.algorithm
    for key in ("r_l", "resource_name"):
        if algo.setting(key) is None:
            errors.append(f"{path}: {key} must be set for hyperband")
    if errors:
        return errors
    r_l, eta, resource = hyperband_settings(spec)
    names = [p.name for p in spec.parameters]
    if resource not in names:
        errors.append(f"{path}: resource_name {resource!r} must be one of spec.parameters")
    elif spec.parameter(resource).parameter_type not in ("int", "double"):
        errors.append(f"{path}: resource_name {resource!r} must be an int or double parameter")
    need = hyperband_min_parallel(r_l, eta)
    if spec.parallel_trial_count < need:
        errors.append(
            f"spec.parallelTrialCount: {spec.parallel_trial_count} must be at least "
            f"ceil(eta^floor(log(r_l)/log(eta))) = {need} for hyperband"
        )
    return errors


def _validate_cmaes(spec: ExperimentSpec) -> list[str]:
    errors = [
        f"spec.parameters[{i}].parameterType: CMA-ES only supports int and double parameters"
        for i, p in enumerate(spec.parameters)
        if p.parameter_type not in ("int", "double")
    ]
    if sum(p.parameter_type in ("int", "double") for p in spec.parameters) < 2:
        errors.append("spec.parameters: CMA-ES needs two or more continuous dimensions")
    return errors


def validate_early_stopping(spec: ExperimentSpec) -> list[str]:
    es = spec.early_stopping
    if es is None:
        return []
    path = "spec.earlyStopping"
    if es.algorithm_name != "medianstop":
        return [
            f"{path}.algorithmName: unknown early stopping algorithm {es.algorithm_name!r}; "
            "known: medianstop"
        ]
    errors = []
    for i, (key, value) in enumerate(es.algorithm_settings):
        spath = f"{path}.algorithmSettings[{i}]"
        if key not in ("min_trials_required", "start_step"):
            errors.append(f"{spath}.name: unknown setting {key!r} for medianstop")
        elif not _check(value, int, lambda x: x > 0):
            errors.append(f"{spath}.value: {key} must be a positive integer, got {value!r}")
    return errors


def _int_setting(spec: ExperimentSpec, name: str, default: int | None) -> int | None:
    value = spec.algorithm.setting(name)
    return int(value) if value is not None else default


def make_sampler(spec: ExperimentSpec) -> tuple[optuna.samplers.BaseSampler, list[str]]:
    """The Optuna sampler for the spec's algorithm and notes on any substitution made."""
    name = spec.algorithm.algorithm_name
    seed = _int_setting(spec, "random_state", None)
    notes: list[str] = []
    if name in ("random", "hyperband"):
        return optuna.samplers.RandomSampler(seed=seed), notes
    if name == "grid":
        space = {p.name: grid_values(p) for p in spec.parameters}
        return _GridSampler(space, seed=seed), notes
    if name == "sobol":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            sobol = optuna.samplers.QMCSampler(qmc_type="sobol", scramble=True, seed=seed)
        return sobol, notes
    if name == "multivariate-tpe":
        return optuna.samplers.TPESampler(
            multivariate=True,
            n_startup_trials=_int_setting(spec, "n_startup_trials", 10) or 0,
            n_ei_candidates=_int_setting(spec, "n_ei_candidates", 24) or 24,
            seed=seed,
        ), notes
    if name == "bayesianoptimization":
        n_init = _int_setting(spec, "n_initial_points", 10) or 0
        if importlib.util.find_spec("torch") is not None:
            return optuna.samplers.GPSampler(n_startup_trials=n_init, seed=seed), notes
        notes.append(
            "bayesianoptimization: Optuna's GPSampler needs torch, which is not "
            "installed; using TPE instead"
        )
        return optuna.samplers.TPESampler(n_startup_trials=n_init, seed=seed), notes
    if name == "cmaes":
        if spec.algorithm.setting("restart_strategy") not in (None, "none"):
            notes.append("cmaes: restart_strategy is deprecated in Optuna 5 and ignored")
        if importlib.util.find_spec("cmaes") is not None:
            sigma = spec.algorithm.setting("sigma")
            return optuna.samplers.CmaEsSampler(
                sigma0=float(sigma) if sigma else None, seed=seed
            ), notes
        notes.append("cmaes: the 'cmaes' package is not installed; using TPE instead")
        return optuna.samplers.TPESampler(seed=seed), notes
    return _tpe(spec, seed), notes


def _tpe(spec: ExperimentSpec, seed: int | None) -> optuna.samplers.TPESampler:
    algo = spec.algorithm
    gamma_text = algo.setting("gamma")
    gamma = None
    if gamma_text is not None:
        fraction = float(gamma_text)

        def gamma(n: int) -> int:  # hyperopt's gamma: the fraction of "good" trials
            return min(math.ceil(fraction * n), 25)

    prior = algo.setting("prior_weight")
    return optuna.samplers.TPESampler(
        gamma=gamma,
        prior_weight=float(prior) if prior else None,
        n_ei_candidates=_int_setting(spec, "n_EI_candidates", 24) or 24,
        n_startup_trials=_int_setting(spec, "n_startup_jobs", 10) or 0,
        seed=seed,
    )


class _GridSampler(optuna.samplers.GridSampler):
    """GridSampler whose ``after_trial`` does not call ``study.stop()`` (invalid with ask/tell;
    the runner counts grid points itself)."""

    def after_trial(self, *args: object, **kwargs: object) -> None:
        return None


def check_supported(spec: ExperimentSpec) -> None:
    """Raise KatibSpecError when the spec is valid Katib but cannot run locally."""
    kind = spec.metrics_collector.kind
    if kind not in ("StdOut", "File"):
        raise KatibSpecError(
            [
                f"spec.metricsCollectorSpec.collector.kind: {kind} is not "
                "supported by the local runner (use StdOut or File)"
            ]
        )
