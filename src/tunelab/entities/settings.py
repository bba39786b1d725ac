"""The typed settings of one AutoML run: defaults, units and allowed values, declared once.

Every face builds these objects: the REST API (an experiment's ``settings`` JSON), the web
Setup form, ``tunelab automl`` options, ``tunelab.AutoML(...)``/``TunelabClassifier(...)``
and ``tunelab.Client``; the engine reads only them (``AutoML.from_settings``).

``AutoMLSettings`` is the JSON object stored on an experiment (its keys are the ones stored
experiments have always used); ``ExperimentSettings`` adds the task, target and metric,
which the platform keeps beside it. Both are frozen pydantic models that refuse unknown keys.

A key given as ``null`` means "the default", except where ``null`` has a meaning of its own
(``time_budget: null`` is "no time limit"; the optional limits are off when null).
Errors name the field by its dotted path (``split.ratios``); see :func:`parse_settings`.
"""

import math
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, ClassVar, TypeVar, get_args

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    create_model,
    field_validator,
    model_validator,
)

from tunelab.entities.choices import (
    BALANCE_TARGETS,
    MAX_CPU_PER_TRIAL,
    MAX_GPU_PER_TRIAL,
    MAX_N_JOBS,
    MAX_SEED,
    MAX_TIME_BUDGET,
    MAX_TRIALS,
    THREADS_PER_TRIAL,
    Ensemble,
    ExecutorKind,
    LogLevel,
    Sampler,
    Synthesizer,
)
from tunelab.entities.errors import ConfigError
from tunelab.entities.preprocessing import Encoding, FeatureEngineering, PreprocessingSettings
from tunelab.entities.preprocessing import Scaling as ScalingKind
from tunelab.entities.search import SamplingConfig, SearchBudget, SplitConfig, SplitKind
from tunelab.entities.tasks import TaskType

_SPLIT = SplitConfig()
_PREP = PreprocessingSettings()


def _finite(low: float | None = None, high: float | None = None, **bounds: Any) -> Any:
    """A strict float (ints accepted, booleans, text, NaN and infinity refused)."""
    return Field(strict=True, allow_inf_nan=False, ge=low, le=high, **bounds)


def _whole(low: int, high: int) -> Any:
    """A strict whole number (booleans and fractions refused)."""
    return Field(strict=True, ge=low, le=high)


def _legacy_ensemble(value: Any) -> Any:
    """Old experiments stored ``ensemble: true/false``: greedy or none."""
    if isinstance(value, bool):
        return "greedy" if value else "none"
    return value


def _class_label(value: Any) -> Any:
    """A class label given as a number (``1``) is its text (``"1"``)."""
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return str(int(value)) if float(value).is_integer() else str(value)
    return value


def _algorithm_names(value: Any, info: ValidationInfo) -> Any:
    """A list of distinct names; ``[]`` is refused (old stored experiments: all families)."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple):
        return value  # the type check refuses it
    if not all(isinstance(v, str) for v in value):
        return value  # the type check names the item that is not a name
    names = [v.strip() for v in value]
    if not [n for n in names if n != ""]:
        if info.context and info.context.get("stored"):
            return None
        raise ValueError("must name at least one algorithm; omit it for all families")
    if "" in names:
        raise ValueError("an algorithm name is empty")
    return tuple(dict.fromkeys(names))


Seconds = Annotated[float, _finite(high=MAX_TIME_BUDGET, gt=0)]
Fraction = Annotated[float, _finite(0.0, 1.0)]
StrictFlag = Annotated[bool, Field(strict=True)]
EnsembleMode = Annotated[Ensemble, BeforeValidator(_legacy_ensemble)]
ClassLabel = Annotated[str, BeforeValidator(_class_label), Field(min_length=1)]
Algorithms = Annotated[tuple[str, ...] | None, BeforeValidator(_algorithm_names)]


class _Settings(BaseModel):
    """Frozen, no unknown keys; ``null`` restores the default of a field with one."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_enum_values=False)

    # fields whose ``null`` is a value of its own, not "the default"
    _null_is_value: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="before")
    @classmethod
    def _null_means_default(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        fields = cls.model_fields
        return {
            key: value
            for key, value in data.items()
            if value is not None
            or key not in fields
            or key in cls._null_is_value
            or fields[key].default is None
        }


class SplitSettings(_Settings):
    """How rows are divided into train, valid and test (see ``SplitConfig``)."""

    kind: SplitKind = Field(
        default=_SPLIT.kind,
        description="holdout, cv, repeated_cv, group (needs `column`) or time (orders by "
        "`column` when given, else by row order).",
    )
    folds: Annotated[int, _whole(2, 20)] = Field(
        default=_SPLIT.folds, description="Cross-validation folds (cv kinds)."
    )
    repeats: Annotated[int, _whole(1, 10)] = Field(
        default=_SPLIT.repeats, description="Repeats of k-fold (repeated_cv)."
    )
    ratios: tuple[Fraction, Fraction, Fraction] = Field(
        default=_SPLIT.ratios,
        description="Holdout shares [train, valid, test] (fractions summing to 1).",
    )
    test_ratio: Annotated[float, _finite(0.0, lt=1.0)] = Field(
        default=_SPLIT.test_ratio,
        description="Share of rows held out as an untouched test part (cv kinds); 0 for none.",
    )
    column: str | None = Field(
        default=None,
        min_length=1,
        validate_default=True,
        description="Group column (group), ordering column (time), or the column whose "
        "value ranges define the parts (holdout with `column_ranges`).",
    )
    column_ranges: (
        tuple[
            tuple[Annotated[float, _finite()], Annotated[float, _finite()]],
            tuple[Annotated[float, _finite()], Annotated[float, _finite()]],
            tuple[Annotated[float, _finite()], Annotated[float, _finite()]],
        ]
        | None
    ) = Field(
        default=None,
        description="[[low, high]] of `column` for train, valid and test (holdout only).",
    )
    stratify: StrictFlag = Field(default=_SPLIT.stratify, description="Keep class shares.")
    shuffle: StrictFlag = Field(default=_SPLIT.shuffle, description="Shuffle before splitting.")

    @field_validator("ratios")
    @classmethod
    def _ratios_sum_to_one(cls, value: tuple[float, float, float]) -> tuple[float, float, float]:
        if value[0] <= 0 or value[1] <= 0:
            raise ValueError("train and valid must both be above 0")
        if abs(sum(value) - 1.0) > 1e-6:
            raise ValueError(f"must sum to 1, got {sum(value):.4g}")
        return value

    @field_validator("column_ranges")
    @classmethod
    def _low_below_high(cls, value: Any) -> Any:
        for name, (low, high) in zip(("train", "valid", "test"), value or (), strict=False):
            if low > high:
                raise ValueError(f"{name} has low {low:g} above high {high:g}")
        return value

    @field_validator("column")
    @classmethod
    def _group_needs_a_column(cls, value: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("kind") is SplitKind.GROUP and value is None:
            raise ValueError("a group split needs the column holding the groups")
        return value

    @field_validator("column_ranges")
    @classmethod
    def _ranges_need_holdout(cls, value: Any, info: ValidationInfo) -> Any:
        if value is not None and (
            info.data.get("kind") is not SplitKind.HOLDOUT or info.data.get("column") is None
        ):
            raise ValueError("value ranges need kind 'holdout' and a split column")
        return value

    def to_config(self) -> SplitConfig:
        """The engine's ``SplitConfig``."""
        return SplitConfig(
            kind=self.kind,
            folds=self.folds,
            repeats=self.repeats,
            ratios=self.ratios,
            test_ratio=self.test_ratio,
            column=self.column,
            column_ranges=self.column_ranges,
            stratify=self.stratify,
            shuffle=self.shuffle,
        )


class SamplingSettings(_Settings):
    """Row sampling and class balancing of the training part (see ``SamplingConfig``)."""

    ratio: Annotated[float, _finite(high=1.0, gt=0)] | None = Field(
        default=None, description="Keep this share of training rows, in (0, 1]."
    )
    size: Annotated[int, _whole(2, 10**12)] | None = Field(
        default=None,
        description="Keep at most this many training rows; above the training rows, "
        "add synthetic rows up to it (see `synthesizer`).",
    )
    balance_to: ClassLabel | None = Field(
        default=None,
        description="Resample every class to the row count of this class label, or of the "
        "'minority' / 'majority' class (classification only).",
    )
    smote: StrictFlag = Field(
        default=False, description="Oversample minority classes with SMOTE (classification)."
    )
    synthesizer: Synthesizer = Field(
        default="copula",
        description="What draws the synthetic rows when `size` exceeds the training rows: "
        "'copula' (a Gaussian copula fitted on training rows only, per class for "
        "classification), 'ctgan' (a CTGAN-style GAN on PyTorch, likewise) or 'none' "
        "(no synthetic rows).",
    )

    def to_config(self) -> SamplingConfig | None:
        """The engine's ``SamplingConfig`` (None when it changes nothing)."""
        if self.ratio is None and self.size is None and self.balance_to is None and not self.smote:
            return None
        return SamplingConfig(
            ratio=self.ratio,
            size=self.size,
            balance_to=self.balance_to,
            smote=self.smote,
            synthesizer=self.synthesizer,
        )


MAX_CLUSTERS = 10  # the largest fixed number of clusters an experiment may ask for


def _n_clusters(value: Any) -> Any:
    """``"auto"`` (any case) or a whole number from 2 to ``MAX_CLUSTERS`` (``"3"``, a form's
    text, is 3); ValueError otherwise."""
    if isinstance(value, str):
        text = value.strip().lower()
        if text == "auto":
            return "auto"
        value = int(text) if text.isdigit() else value
    if isinstance(value, int) and not isinstance(value, bool) and 2 <= value <= MAX_CLUSTERS:
        return value
    raise ValueError(f"choose 'auto' or a whole number from 2 to {MAX_CLUSTERS}, got {value!r}")


NClusters = Annotated[int | str, BeforeValidator(_n_clusters)]


class ClusteringSettings(_Settings):
    """What a clustering experiment (task ``clustering``) searches: no target, a number of
    clusters (2–10 or automatic) and an optional column used only to evaluate."""

    n_clusters: NClusters = Field(
        default="auto",
        description=f"Number of clusters: 2 to {MAX_CLUSTERS}, or 'auto' (k from 2 to "
        "min(15, √rows) with the inertia elbow and the mixture BIC shown).",
    )
    label: str | None = Field(
        default=None,
        min_length=1,
        description="A column used only to evaluate the clusterings (adjusted Rand, "
        "adjusted mutual information); it never enters the fit.",
    )


class PreprocessingDefaults(_Settings):
    """Whole-table preprocessing options over the recommendation (None keeps it)."""

    encoding: Encoding | None = Field(
        default=None, description=f"Categorical encoding (default {_PREP.encoding.value})."
    )
    scaling: ScalingKind | None = Field(
        default=None, description=f"Numeric scaling (default {_PREP.scaling.value})."
    )
    variance_threshold: Annotated[float, _finite(0.0)] | None = Field(
        default=None, description="Drop features whose variance is at most this."
    )
    onehot_max_categories: Annotated[int, _whole(2, 1000)] | None = Field(
        default=None,
        description="Above this many levels `auto` encoding switches to target encoding "
        f"(default {_PREP.onehot_max_categories}).",
    )
    onehot_min_frequency: Annotated[float, _finite(gt=0)] | None = Field(
        default=None, description="Rarer levels are grouped (count, or share when below 1)."
    )
    feature_engineering: tuple[FeatureEngineering, ...] | None = Field(
        default=None, description="Feature selection/construction steps, in order."
    )
    expand_datetimes: StrictFlag | None = Field(
        default=None, description="Expand datetime columns into parts (default true)."
    )

    def apply(self, base: PreprocessingSettings) -> PreprocessingSettings:
        """``base`` with every option given here."""
        import dataclasses

        changes = {
            name: getattr(self, name)
            for name in type(self).model_fields
            if getattr(self, name) is not None
        }
        return dataclasses.replace(base, **changes)


class ExecutorSettings(_Settings):
    """Where the trials run: local processes, or Ray tasks on a cluster the operator configured
    (``tunelab serve/worker --ray-address``; the only addresses a run may name)."""

    kind: ExecutorKind = Field(
        default="local", description="'local' (child processes) or 'ray' (a Ray cluster)."
    )
    address: str | None = Field(
        default=None,
        min_length=1,
        max_length=500,
        description="The Ray cluster (kind 'ray' only): one of the addresses the server was "
        "started with; null: its first.",
    )

    @model_validator(mode="after")
    def _address_needs_ray(self) -> "ExecutorSettings":
        if self.address is not None and self.kind != "ray":
            raise ValueError("address is for kind 'ray' only")
        return self


class AutoMLSettings(_Settings):
    """Everything an experiment stores about how to search (the REST ``settings`` object)."""

    _null_is_value: ClassVar[frozenset[str]] = frozenset({"time_budget"})

    description: str | None = Field(default=None, max_length=10_000, description="Notes.")
    log_level: LogLevel = Field(default="info", description="Least level of logged events.")
    # -- budgets
    max_trials: Annotated[int, _whole(1, MAX_TRIALS)] | None = Field(
        default=None,
        description="Stop after this many trials; with a seed two runs give one leaderboard.",
    )
    time_budget: Seconds | None = Field(
        default=60.0,
        validate_default=True,
        description="Total seconds for the fit (search, ensembling, refits); at most a week. "
        "null: no time limit (then set max_trials).",
        json_schema_extra={"unit": "s"},
    )
    trial_timeout: Seconds | None = Field(
        default=None,
        description="Seconds after which one trial is stopped; null derives it from the budget.",
        json_schema_extra={"unit": "s"},
    )
    early_stopping_rounds: Annotated[int, _whole(1, MAX_TRIALS)] | None = Field(
        default=None, description="Stop after this many finished trials without improvement."
    )
    # -- search
    algorithms: Algorithms = Field(
        default=None,
        description="Model families to search (names from `tunelab.models`); omit for the "
        "default families.",
    )
    sampler: Sampler = Field(default="tpe", description="Optuna sampler.")
    seed: Annotated[int, _whole(0, MAX_SEED)] = Field(
        default=0, description="Random seed of splits, sampler and models."
    )
    # -- final model
    ensemble: EnsembleMode = Field(default="greedy", description="How trials are combined.")
    refit_best: StrictFlag = Field(
        default=True, description="Refit the best trial on all training rows when time allows."
    )
    refit_final: StrictFlag = Field(
        default=True, description="Refit the final model's members on all training rows."
    )
    infer_limit: Annotated[float, _finite(high=60.0, gt=0)] | None = Field(
        default=None,
        description="Most seconds per row the best single model may take to predict.",
        json_schema_extra={"unit": "s/row"},
    )
    # -- resources
    n_jobs: Annotated[int, _whole(1, MAX_N_JOBS)] = Field(
        default=1, description="Trials running in parallel (one process each)."
    )
    cpu_per_trial: Annotated[int, _whole(1, MAX_CPU_PER_TRIAL)] = Field(
        default=THREADS_PER_TRIAL,
        description="CPUs per trial: its models' threads (n_jobs, BLAS/OpenMP); on Ray the "
        "task's num_cpus.",
    )
    memory_limit_mb: Annotated[float, _finite(gt=0)] | None = Field(
        default=None,
        description="Memory per trial: local processes are stopped above this resident "
        "memory; on Ray the task reserves it (memory).",
        json_schema_extra={"unit": "MiB"},
    )
    gpu_per_trial: Annotated[float, _finite(0.0, float(MAX_GPU_PER_TRIAL))] = Field(
        default=0.0,
        description="GPUs per trial, reserved on Ray (num_gpus); local processes ignore it.",
    )
    executor: ExecutorSettings | None = Field(
        default=None,
        description="Where trials run; null: the server's default (its Ray cluster when "
        "started with --ray-address, else local processes).",
    )
    # -- data
    test_ratio: Annotated[float, _finite(0.0, lt=1.0)] = Field(
        default=0.0, description="Untouched test share when `split` is not given (0: none)."
    )
    split: SplitSettings | None = Field(
        default=None,
        description="null: k-fold CV or a 10% holdout by rows x columns and time budget.",
    )
    sampling: SamplingSettings | None = Field(default=None, description="null: all rows.")
    preprocessing: PreprocessingDefaults | None = Field(
        default=None, description="null: the recommendation for the data."
    )
    clustering: ClusteringSettings | None = Field(
        default=None,
        description="Task 'clustering' only: number of clusters and evaluation column "
        "(null: automatic k, no evaluation column).",
    )

    @field_validator("time_budget")
    @classmethod
    def _search_has_an_end(cls, value: float | None, info: ValidationInfo) -> float | None:
        if value is None and info.data.get("max_trials") is None and "max_trials" in info.data:
            raise ValueError("set time_budget or max_trials: the search needs an end")
        return value

    # -- views for the engine -----------------------------------------------------------
    @property
    def budget(self) -> SearchBudget:
        return SearchBudget(
            time_budget=self.time_budget,
            trial_timeout=self.trial_timeout,
            max_trials=self.max_trials,
            early_stopping_rounds=self.early_stopping_rounds,
        )

    @property
    def split_config(self) -> SplitConfig | None:
        return None if self.split is None else self.split.to_config()

    @property
    def sampling_config(self) -> SamplingConfig | None:
        return None if self.sampling is None else self.sampling.to_config()

    def stored(self) -> dict[str, Any]:
        """The JSON object to store: the keys that were given (defaults stay implicit),
        whole numbers written as such (``20``, not ``20.0``)."""
        dumped = self.model_dump(mode="json", exclude_unset=True, exclude=set(_IDENTITY))
        return dict(_plain_numbers(dumped))

    def check_data(
        self,
        *,
        task: str | None = None,
        columns: Sequence[str] | None = None,
        classes: Sequence[str] | None = None,
    ) -> None:
        """Checks that need the data: raise ``SettingsError`` naming the field.

        ``task`` (when known) refuses class balancing for regression; ``columns`` (when
        the dataset is profiled) checks the split column; ``classes`` (target labels)
        checks ``sampling.balance_to``. Algorithm names are checked by the engine's
        ``tunelab.automl.check_settings``, which knows the model families.
        """
        errors: list[tuple[str, str]] = []
        column = None if self.split is None else self.split.column
        if column is not None and columns is not None and column not in columns:
            errors.append(("split.column", f"column {column!r} is not in the dataset"))
        sampling = self.sampling
        balance = None if sampling is None else sampling.balance_to
        if sampling is not None and (balance is not None or sampling.smote):
            if task == TaskType.REGRESSION.value:
                name = "sampling.balance_to" if balance is not None else "sampling.smote"
                errors.append((name, "class balancing needs a classification task"))
            elif (
                balance is not None
                and classes is not None
                and balance
                not in (
                    *BALANCE_TARGETS,
                    *map(str, classes),
                )
            ):
                shown = ", ".join(map(str, list(classes)[:20]))
                errors.append(
                    (
                        "sampling.balance_to",
                        f"class {balance!r} is not a value of the target (classes: {shown})",
                    )
                )
        label = None if self.clustering is None else self.clustering.label
        if label is not None and columns is not None and label not in columns:
            errors.append(("clustering.label", f"column {label!r} is not in the dataset"))
        if errors:
            raise SettingsError(errors)


# the test share a new platform experiment holds back when its settings name no split and no
# test_ratio (the library's AutoML keeps 0: all rows for the search), so a default web run
# reports test metrics
DEFAULT_TEST_RATIO = 0.2


class ExperimentSettings(AutoMLSettings):
    """``AutoMLSettings`` with the task, target and metric: everything one run needs."""

    task: TaskType | None = Field(default=None, description="null: inferred from the target.")
    target: str | None = Field(default=None, min_length=1, description="The column to predict.")
    metric: str | None = Field(
        default=None, min_length=1, description="Metric to optimise; null: the task's default."
    )


_IDENTITY = frozenset(set(ExperimentSettings.model_fields) - set(AutoMLSettings.model_fields))


class SettingsError(ConfigError):
    """Invalid settings. ``field`` is the first bad field's dotted path (``split.ratios``),
    ``reason`` its message, ``errors`` every ``(field, message)``."""

    def __init__(self, errors: Sequence[tuple[str, str]]) -> None:
        self.errors = list(errors) or [("settings", "invalid settings")]
        self.field, self.reason = self.errors[0]
        text = "; ".join(f"{field}: {message}" for field, message in self.errors)
        super().__init__(text)


def _known(model: type[BaseModel], path: Sequence[str]) -> list[str]:
    """The field names of the (nested) settings model at ``path``."""
    for name in path:
        info = model.model_fields.get(name)
        inner = (
            next(
                (
                    t
                    for t in (info.annotation, *get_args(info.annotation))
                    if isinstance(t, type) and issubclass(t, BaseModel)
                ),
                None,
            )
            if info is not None
            else None
        )
        if inner is None:
            return []
        model = inner
    return sorted(model.model_fields)


def describe_error(item: Mapping[str, Any], model: type[BaseModel]) -> tuple[str, str]:
    """``(dotted field path, plain message)`` of one pydantic error of a settings ``model``."""
    loc = [str(p) for p in item["loc"] if not isinstance(p, int)]
    message = str(item["msg"]).removeprefix("Value error, ")
    raw_loc = list(item["loc"])
    if item["type"] == "missing" and raw_loc and isinstance(raw_loc[-1], int):
        message = f"has too few values (value {raw_loc[-1] + 1} is missing)"
    elif item["type"] == "extra_forbidden":
        message = f"unknown setting; known: {', '.join(_known(model, loc[:-1]))}"
    elif item["type"] == "literal_error" or item["type"] == "enum":
        message = message.replace("Input should be", "choose")
    else:
        message = message.replace("Input should be", "must be")
    if "input" in item and item["type"] not in ("extra_forbidden", "value_error", "missing"):
        message += f", got {item['input']!r}"
    return ".".join(loc) or "settings", message


def settings_error(
    exc: ValidationError, model: type[BaseModel] = AutoMLSettings, prefix: str = ""
) -> SettingsError:
    """A pydantic ``ValidationError`` of a settings ``model`` as a ``SettingsError``."""
    seen: dict[str, str] = {}
    for item in exc.errors():
        field, message = describe_error(item, model)
        seen.setdefault(prefix + field, message)
    return SettingsError(list(seen.items()))


def _plain_numbers(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, dict):
        return {k: _plain_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_numbers(v) for v in value]
    return value


S = TypeVar("S", bound=AutoMLSettings)


def parse_settings(
    data: Mapping[str, Any] | AutoMLSettings | None,
    model: type[S] = AutoMLSettings,  # type: ignore[assignment]
    *,
    stored: bool = False,
) -> S:
    """``data`` as a checked settings object; ``SettingsError`` names every bad field.

    ``stored=True`` reads JSON an older tunelab stored (``algorithms: []`` meant all).
    """
    if isinstance(data, model):
        return data
    if isinstance(data, AutoMLSettings):
        data = data.model_dump(exclude_unset=True)
    try:
        return model.model_validate(dict(data or {}), context={"stored": stored})
    except ValidationError as exc:
        raise settings_error(exc, model) from None


def _patch_model() -> type[BaseModel]:
    """Every ``AutoMLSettings`` field, optional: the body of a settings PATCH (null resets)."""
    fields: dict[str, Any] = {}
    for name, info in AutoMLSettings.model_fields.items():
        annotation: Any = info.annotation
        if info.metadata:
            annotation = Annotated[(annotation, *info.metadata)]
        fields[name] = (annotation | None, Field(default=None, description=info.description))
    return create_model(
        "AutoMLSettingsPatch",
        __config__=ConfigDict(frozen=True, extra="forbid"),
        __doc__="Top-level settings to replace; null restores the default.",
        **fields,
    )


AutoMLSettingsPatch = _patch_model()
