"""Experiment settings (what the Setup page edits) -> checked ``tunelab.AutoML`` arguments.

The settings are a JSON object stored on the experiment. ``check_settings`` validates it
(naming the offending field, e.g. ``split.ratios``); ``automl_kwargs`` turns it into the
keyword arguments of ``tunelab.AutoML``; ``preprocessing_for`` merges the whole-table options
and the dataset's per-column settings into ``PreprocessingSettings``.
"""

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any

from tunelab.entities import (
    ColumnKind,
    ColumnSettings,
    ConfigError,
    Encoding,
    FeatureEngineering,
    Imputation,
    OutlierRule,
    PreprocessingSettings,
    SamplingConfig,
    Scaling,
    SplitConfig,
    SplitKind,
    TaskType,
    Transformation,
)

ENSEMBLES = ("greedy", "stacking", "none")
LOG_LEVELS = ("debug", "info", "warning", "error")
SAMPLERS = ("tpe", "random", "grid", "cmaes", "qmc", "gp")  # tunelab.search.SAMPLERS (tested)
SPLIT_KINDS = tuple(k.value for k in SplitKind)
PARTS = ("train", "valid", "test")
THREADS_PER_TRIAL = 1  # the engine runs every trial in one process with one thread

TOP_LEVEL = frozenset(
    {
        "description",
        "time_budget",
        "trial_timeout",
        "max_trials",
        "algorithms",
        "ensemble",
        "sampler",
        "seed",
        "n_jobs",
        "early_stopping_rounds",
        "memory_limit_mb",
        "infer_limit",
        "refit_final",
        "cpu_per_trial",
        "log_level",
        "test_ratio",
        "split",
        "sampling",
        "preprocessing",
    }
)
SPLIT_KEYS = frozenset(
    {"kind", "ratios", "folds", "repeats", "test_ratio", "column", "column_ranges", "stratify"}
    | {"shuffle"}
)
SAMPLING_KEYS = frozenset({"ratio", "size", "balance_to", "smote"})
PREPROCESSING_KEYS = frozenset(
    {
        "encoding",
        "onehot_min_frequency",
        "onehot_max_categories",
        "scaling",
        "variance_threshold",
        "feature_engineering",
        "expand_datetimes",
    }
)
_COLUMN_FIELDS = {f.name for f in dataclasses.fields(ColumnSettings)}
_COLUMN_ENUMS: dict[str, Any] = {
    "kind": ColumnKind,
    "imputation": Imputation,
    "outliers": OutlierRule,
    "transformation": Transformation,
    "encoding": Encoding,
}


class SettingsError(ConfigError):
    """A setting is invalid; ``field`` is its dotted path (``split.ratios``)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.reason = message
        self.others: list[SettingsError] = []


# -- small typed readers ------------------------------------------------------------------
def _number(field: str, value: Any, *, low: float | None = None, strict: bool = True) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise SettingsError(field, f"must be a number, got {value!r}")
    if low is not None and (value <= low if strict else value < low):
        raise SettingsError(field, f"must be {'>' if strict else '>='} {low:g}, got {value!r}")
    return float(value)


def _integer(field: str, value: Any, low: int, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value:
        raise SettingsError(field, f"must be a whole number, got {value!r}")
    if value < low or (high is not None and value > high):
        span = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise SettingsError(field, f"must be {span}, got {int(value)}")
    return int(value)


def _boolean(field: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise SettingsError(field, f"must be true or false, got {value!r}")
    return value


def _choice(field: str, value: Any, choices: Sequence[str]) -> str:
    if value not in choices:
        raise SettingsError(field, f"choose one of {', '.join(choices)}; got {value!r}")
    return str(value)


def _mapping(field: str, value: Any, keys: frozenset[str]) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise SettingsError(field, f"must be an object, got {value!r}")
    for key in value:
        if key not in keys:
            raise SettingsError(
                f"{field}.{key}", f"unknown setting; known: {', '.join(sorted(keys))}"
            )
    return dict(value)


# -- validation ---------------------------------------------------------------------------
def check_settings(
    settings: Mapping[str, Any],
    *,
    task: str | None = None,
    columns: Sequence[str] | None = None,
    classes: Sequence[str] | None = None,
) -> None:
    """Raise ``SettingsError`` naming the first invalid field; ``.others`` lists the rest.

    ``task`` (when known) checks algorithms against it; ``columns`` (when the dataset is
    profiled) checks split columns; ``classes`` (target labels) checks ``sampling.balance_to``.
    """
    errors = settings_errors(settings, task=task, columns=columns, classes=classes)
    if errors:
        errors[0].others = errors[1:]
        raise errors[0]


def settings_errors(
    settings: Mapping[str, Any],
    *,
    task: str | None = None,
    columns: Sequence[str] | None = None,
    classes: Sequence[str] | None = None,
) -> list[SettingsError]:
    """Every invalid field (one error per top-level setting), in a stable order."""
    s = dict(settings)
    errors = [
        SettingsError(key, f"unknown setting; known: {', '.join(sorted(TOP_LEVEL))}")
        for key in s
        if key not in TOP_LEVEL
    ]
    checks: list[tuple[str, Any]] = [
        ("description", lambda v: _text_setting("description", v)),
        ("time_budget", lambda v: _number("time_budget", v, low=0)),
        ("trial_timeout", lambda v: _number("trial_timeout", v, low=0)),
        ("memory_limit_mb", lambda v: _number("memory_limit_mb", v, low=0)),
        ("infer_limit", lambda v: _number("infer_limit", v, low=0)),
        ("refit_final", lambda v: _boolean("refit_final", v)),
        ("max_trials", lambda v: _integer("max_trials", v, 1)),
        ("early_stopping_rounds", lambda v: _integer("early_stopping_rounds", v, 1)),
        ("seed", lambda v: _integer("seed", v, 0, 2**31 - 1)),
        ("n_jobs", lambda v: _integer("n_jobs", v, 1, 64)),
        (
            "cpu_per_trial",
            lambda v: _integer("cpu_per_trial", v, THREADS_PER_TRIAL, THREADS_PER_TRIAL),
        ),
        ("log_level", lambda v: _choice("log_level", v, LOG_LEVELS)),
        ("sampler", lambda v: _choice("sampler", v, SAMPLERS)),
        ("ensemble", lambda v: isinstance(v, bool) or _choice("ensemble", v, ENSEMBLES)),
        ("test_ratio", _test_ratio),
        ("algorithms", lambda v: _check_algorithms(v, task)),
        ("split", lambda v: split_config(v, columns=columns)),
        ("sampling", lambda v: sampling_config(v, task=task, classes=classes)),
        ("preprocessing", _preprocessing_options),
    ]
    for key, check in checks:
        if s.get(key) is None:
            continue
        try:
            check(s[key])
        except SettingsError as exc:
            errors.append(exc)
    if "time_budget" in s and s["time_budget"] is None and s.get("max_trials") is None:
        errors.append(
            SettingsError("time_budget", "set time_budget or max_trials: the search needs an end")
        )
    return errors


def _text_setting(field: str, value: Any) -> None:
    if not isinstance(value, str):
        raise SettingsError(field, "must be text")


def _test_ratio(value: Any) -> None:
    ratio = _number("test_ratio", value, low=0, strict=False)
    if ratio >= 1:
        raise SettingsError("test_ratio", f"must be below 1, got {ratio:g}")


def _check_algorithms(value: Any, task: str | None) -> None:
    if value is None:
        return
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SettingsError("algorithms", f"must be a list of algorithm names, got {value!r}")
    from tunelab.models import get_model_spec

    for name in value:
        try:
            spec = get_model_spec(name)
        except ConfigError as exc:
            raise SettingsError("algorithms", str(exc)) from None
        if task is not None and not spec.supports(TaskType(task)):
            raise SettingsError("algorithms", f"algorithm {name!r} does not support task {task!r}")


def split_config(value: Any, *, columns: Sequence[str] | None = None) -> SplitConfig:
    """``settings["split"]`` as a checked ``SplitConfig``."""
    raw = _mapping("split", value, SPLIT_KEYS)
    kind = SplitKind(_choice("split.kind", raw.get("kind", "cv"), SPLIT_KINDS))
    config: dict[str, Any] = {"kind": kind}
    if raw.get("folds") is not None:
        config["folds"] = _integer("split.folds", raw["folds"], 2, 20)
    if raw.get("repeats") is not None:
        config["repeats"] = _integer("split.repeats", raw["repeats"], 1, 10)
    if raw.get("test_ratio") is not None:
        test = _number("split.test_ratio", raw["test_ratio"], low=0, strict=False)
        if test >= 1:
            raise SettingsError("split.test_ratio", f"must be below 1, got {test:g}")
        config["test_ratio"] = test
    for flag in ("stratify", "shuffle"):
        if raw.get(flag) is not None:
            if not isinstance(raw[flag], bool):
                raise SettingsError(f"split.{flag}", f"must be true or false, got {raw[flag]!r}")
            config[flag] = raw[flag]
    if raw.get("ratios") is not None:
        config["ratios"] = _ratios(raw["ratios"])
    column = raw.get("column")
    if column is not None:
        if not isinstance(column, str) or not column:
            raise SettingsError("split.column", f"must be a column name, got {column!r}")
        if columns is not None and column not in columns:
            raise SettingsError("split.column", f"column {column!r} is not in the dataset")
        config["column"] = column
    if kind in (SplitKind.GROUP,) and column is None:
        raise SettingsError("split.column", "a group split needs the column holding the groups")
    if raw.get("column_ranges") is not None:
        if kind is not SplitKind.HOLDOUT or column is None:
            raise SettingsError(
                "split.column_ranges", "value ranges need kind 'holdout' and a split column"
            )
        config["column_ranges"] = _ranges(raw["column_ranges"])
    return SplitConfig(**config)


def _ratios(value: Any) -> tuple[float, float, float]:
    if not isinstance(value, list | tuple) or len(value) != 3:
        raise SettingsError("split.ratios", f"must be [train, valid, test], got {value!r}")
    ratios = [_number("split.ratios", v, low=0, strict=False) for v in value]
    if ratios[0] <= 0 or ratios[1] <= 0:
        raise SettingsError("split.ratios", "train and valid must both be above 0")
    if abs(sum(ratios) - 1.0) > 1e-6:
        raise SettingsError("split.ratios", f"must sum to 1, got {sum(ratios):.4g}")
    return ratios[0], ratios[1], ratios[2]


def _ranges(value: Any) -> tuple[tuple[float, float], tuple[float, float], tuple[float, float]]:
    field = "split.column_ranges"
    if not isinstance(value, list | tuple) or len(value) != 3:
        raise SettingsError(field, "must be three [low, high] pairs: train, valid, test")
    pairs: list[tuple[float, float]] = []
    for name, pair in zip(PARTS, value, strict=True):
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            raise SettingsError(field, f"{name} must be [low, high], got {pair!r}")
        low, high = (_number(field, v) for v in pair)
        if low > high:
            raise SettingsError(field, f"{name} has low {low:g} above high {high:g}")
        pairs.append((low, high))
    return pairs[0], pairs[1], pairs[2]


def sampling_config(
    value: Any, *, task: str | None = None, classes: Sequence[str] | None = None
) -> SamplingConfig | None:
    """``settings["sampling"]`` as a checked ``SamplingConfig`` (None when it does nothing)."""
    raw = _mapping("sampling", value, SAMPLING_KEYS)
    ratio = raw.get("ratio")
    if ratio is not None:
        ratio = _number("sampling.ratio", ratio, low=0)
        if ratio > 1:
            raise SettingsError("sampling.ratio", f"must be in (0, 1], got {ratio:g}")
    size = raw.get("size")
    if size is not None:
        size = _integer("sampling.size", size, 2)
    balance = raw.get("balance_to")
    smote = raw.get("smote", False)
    if not isinstance(smote, bool):
        raise SettingsError("sampling.smote", f"must be true or false, got {smote!r}")
    if (balance is not None or smote) and task == TaskType.REGRESSION.value:
        field = "sampling.balance_to" if balance is not None else "sampling.smote"
        raise SettingsError(field, "class balancing needs a classification task")
    if balance is not None:
        balance = str(balance)
        if balance not in ("minority", "majority", *(classes or [balance])):
            raise SettingsError(
                "sampling.balance_to",
                f"class {balance!r} is not a value of the target "
                f"(classes: {', '.join(map(str, (classes or [])[:20]))})",
            )
    if ratio is None and size is None and balance is None and not smote:
        return None
    return SamplingConfig(ratio=ratio, size=size, balance_to=balance, smote=smote)


def _preprocessing_options(value: Any) -> dict[str, Any]:
    raw = _mapping("preprocessing", value, PREPROCESSING_KEYS)
    out: dict[str, Any] = {}
    if raw.get("encoding") is not None:
        out["encoding"] = Encoding(
            _choice("preprocessing.encoding", raw["encoding"], [e.value for e in Encoding])
        )
    if raw.get("scaling") is not None:
        out["scaling"] = Scaling(
            _choice("preprocessing.scaling", raw["scaling"], [s.value for s in Scaling])
        )
    if raw.get("variance_threshold") is not None:
        out["variance_threshold"] = _number(
            "preprocessing.variance_threshold", raw["variance_threshold"], low=0, strict=False
        )
    if raw.get("onehot_max_categories") is not None:
        out["onehot_max_categories"] = _integer(
            "preprocessing.onehot_max_categories", raw["onehot_max_categories"], 2, 1000
        )
    if raw.get("onehot_min_frequency") is not None:
        out["onehot_min_frequency"] = _number(
            "preprocessing.onehot_min_frequency", raw["onehot_min_frequency"], low=0
        )
    steps = raw.get("feature_engineering")
    if steps is not None:
        known = [f.value for f in FeatureEngineering]
        if not isinstance(steps, list):
            raise SettingsError("preprocessing.feature_engineering", "must be a list of steps")
        out["feature_engineering"] = tuple(
            FeatureEngineering(_choice("preprocessing.feature_engineering", step, known))
            for step in steps
        )
    if raw.get("expand_datetimes") is not None:
        if not isinstance(raw["expand_datetimes"], bool):
            raise SettingsError("preprocessing.expand_datetimes", "must be true or false")
        out["expand_datetimes"] = raw["expand_datetimes"]
    return out


# -- mapping to the engine ----------------------------------------------------------------
def automl_kwargs(settings: Mapping[str, Any], *, task: str | None = None) -> dict[str, Any]:
    """Keyword arguments of ``tunelab.AutoML`` (all but task, metric, preprocessing, callbacks)."""
    check_settings(settings, task=task)
    s = dict(settings)
    out: dict[str, Any] = {}
    for key in ("time_budget", "trial_timeout", "memory_limit_mb", "infer_limit"):
        if key in s:
            out[key] = None if s[key] is None else float(s[key])
    for key in ("max_trials", "early_stopping_rounds"):
        if key in s:
            out[key] = None if s[key] is None else int(s[key])
    for key in ("seed", "n_jobs"):
        if s.get(key) is not None:
            out[key] = int(s[key])
    if s.get("sampler") is not None:
        out["sampler"] = s["sampler"]
    if s.get("refit_final") is not None:
        out["refit_final"] = bool(s["refit_final"])
    if s.get("algorithms"):
        out["algorithms"] = list(s["algorithms"])
    ensemble = s.get("ensemble")
    if isinstance(ensemble, bool):
        out["ensemble"] = "greedy" if ensemble else "none"
    elif ensemble is not None:
        out["ensemble"] = ensemble
    if s.get("split") is not None:
        out["split"] = split_config(s["split"])
    elif s.get("test_ratio") is not None:
        out["test_ratio"] = float(s["test_ratio"])
    if s.get("sampling") is not None:
        out["sampling"] = sampling_config(s["sampling"], task=task)
    return out


def needs_custom_preprocessing(
    settings: Mapping[str, Any], column_settings: Mapping[str, Any]
) -> bool:
    """Whether ``preprocessing_for`` changes anything over the engine's own recommendation."""
    return bool(settings.get("preprocessing")) or bool(column_settings)


def preprocessing_for(
    base: PreprocessingSettings,
    settings: Mapping[str, Any],
    column_settings: Mapping[str, Any],
) -> PreprocessingSettings:
    """``base`` (the recommendation) with the whole-table options and per-column overrides.

    Per-column values use the ``ColumnSettings`` field names (use, kind, imputation,
    fill_value, outliers, transformation, encoding); other keys (UI notes) are ignored.
    """
    options = _preprocessing_options(settings.get("preprocessing") or {})
    columns = dict(base.columns)
    for name, values in column_settings.items():
        if name not in columns or not isinstance(values, Mapping):
            continue
        changes: dict[str, Any] = {}
        for key, value in values.items():
            if key not in _COLUMN_FIELDS or (value is None and key != "fill_value"):
                continue
            enum = _COLUMN_ENUMS.get(key)
            if enum is None:
                changes[key] = value
                continue
            try:
                changes[key] = enum(value)
            except ValueError:
                raise ConfigError(
                    f"column {name!r}: {key}={value!r} is not one of "
                    f"{', '.join(e.value for e in enum)}"
                ) from None
        if "use" in changes:
            changes["use"] = bool(changes["use"])
        columns[name] = dataclasses.replace(columns[name], **changes)
    return dataclasses.replace(base, columns=columns, **options)
