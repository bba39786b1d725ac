"""Optuna samplers by name."""

import importlib.util
import warnings

import optuna

from tunelab.entities import SAMPLERS, ConfigError


def make_sampler(
    name: str, seed: int, *, n_startup_trials: int = 8
) -> optuna.samplers.BaseSampler:
    """Build the sampler called ``name`` (see ``SAMPLERS``), seeded with ``seed``.

    ``grid`` enumerates a discretised space (see ``SearchSpace``); ``gp`` needs PyTorch
    (``pip install torch==2.13.0`` takes the CPU build).
    """
    if name == "tpe":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            return optuna.samplers.TPESampler(
                seed=seed,
                multivariate=True,
                group=True,
                constant_liar=True,
                n_startup_trials=n_startup_trials,
            )
    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if name == "grid":
        return optuna.samplers.BruteForceSampler(seed=seed)
    if name == "cmaes":
        return optuna.samplers.CmaEsSampler(
            seed=seed, n_startup_trials=n_startup_trials, warn_independent_sampling=False
        )
    if name == "qmc":
        return optuna.samplers.QMCSampler(
            seed=seed, qmc_type="sobol", scramble=True, warn_independent_sampling=False
        )
    if name == "gp":
        if importlib.util.find_spec("torch") is None:
            raise ConfigError(
                "sampler 'gp' needs PyTorch, which is not installed "
                "(pip install torch==2.13.0 installs the CPU build)"
            )
        return optuna.samplers.GPSampler(seed=seed, n_startup_trials=n_startup_trials)
    raise ConfigError(f"unknown sampler {name!r}; choose one of: {', '.join(SAMPLERS)}")
