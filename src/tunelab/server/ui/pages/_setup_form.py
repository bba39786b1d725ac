"""The Setup form <-> experiment settings: flat form values both ways, and error placement."""

from collections.abc import Mapping
from typing import Any

from tunelab.entities import choices
from tunelab.entities.platform import Experiment
from tunelab.entities.preprocessing import (
    Encoding,
    FeatureEngineering,
    PreprocessingSettings,
    Scaling,
)
from tunelab.entities.settings import (
    MAX_CLUSTERS,
    AutoMLSettings,
    SplitSettings,
    describe_error,
)
from tunelab.server.errors import FieldError

# the form's split choices: the model's kinds as the page groups them ("auto": the default
# CV; "range": holdout by value ranges of a column; repeated CV is CV with repeats)
SPLIT_KINDS = ("auto", "holdout", "cv", "group", "range", "time")
# allowed values come from the settings model (tunelab.entities): one list for every face
ENCODINGS = tuple(e.value for e in Encoding)
SCALINGS = tuple(s.value for s in Scaling)
FEATURE_STEPS = tuple(f.value for f in FeatureEngineering)
ENSEMBLES = choices.ENSEMBLES
LOG_LEVELS = choices.LOG_LEVELS
SAMPLERS = choices.SAMPLERS
MAX_N_JOBS = choices.MAX_N_JOBS
MAX_CPU_PER_TRIAL = choices.MAX_CPU_PER_TRIAL
MAX_GPU_PER_TRIAL = choices.MAX_GPU_PER_TRIAL
# "" keeps the server's default (its Ray cluster when it has one, else local processes)
EXECUTOR_KINDS = ("", *choices.EXECUTOR_KINDS)
FOLDS = (3, 5, 10)
CLUSTERING = "clustering"
# the number-of-clusters choices: automatic, or 2 to the settings' most
N_CLUSTERS = ("auto", *(str(k) for k in range(2, MAX_CLUSTERS + 1)))
RANGE_FIELDS = tuple(f"range_{p}_{e}" for p in ("train", "valid", "test") for e in ("low", "high"))


def _default(name: str, model: Any = AutoMLSettings) -> str:
    """A settings field's default as the form shows it."""
    return _text(model.model_fields[name].default)


def _form_defaults() -> dict[str, Any]:
    ratios = SplitSettings.model_fields["ratios"].default
    return {
        "task": "",
        "metric": "",
        "ensemble": _default("ensemble"),
        "encoding": "auto",
        "onehot_max_categories": _text(PreprocessingSettings().onehot_max_categories),
        "scaling": "none",
        "time_budget": _default("time_budget"),
        "log_level": _default("log_level"),
        "seed": _default("seed"),
        "n_jobs": _default("n_jobs"),
        "cpu_per_trial": _default("cpu_per_trial"),
        "gpu_per_trial": _default("gpu_per_trial"),
        "executor_kind": "",
        "ray_address": "",
        "sampler": _default("sampler"),
        "refit_final": "1" if AutoMLSettings.model_fields["refit_final"].default else "0",
        "split_kind": "auto",
        "train_pct": _pct(ratios[0]),
        "valid_pct": _pct(ratios[1]),
        "test_pct": _pct(ratios[2]),
        "folds": _default("folds", SplitSettings),
        "cv_test_pct": "0",
        "synthesizer": "copula",
        "n_clusters": "auto",
        "cluster_label": "",
    }


# server error field (dotted, after "settings.") -> the form field it belongs to
_ERROR_FIELDS = {
    "split.ratios": "split_ratios",
    "split.folds": "folds",
    "split.repeats": "folds",
    "split.column": "split_column",
    "split.column_ranges": "ranges",
    "split.test_ratio": "cv_test_pct",
    "split.kind": "split_kind",
    "sampling.ratio": "sample_pct",
    "sampling.size": "sample_size",
    "sampling.balance_to": "balance_to",
    "sampling.smote": "smote",
    "sampling.synthesizer": "synthesizer",
    "test_ratio": "cv_test_pct",
    "infer_limit": "min_rows_per_s",
    "executor.kind": "executor_kind",
    "executor.address": "ray_address",
    "executor": "executor_kind",
    "clustering.n_clusters": "n_clusters",
    "clustering.label": "cluster_label",
}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _pct(value: Any) -> str:
    return "" if value is None else _text(round(float(value) * 100, 4))


DEFAULTS: dict[str, Any] = _form_defaults()


def form_values(experiment: Experiment) -> dict[str, Any]:
    """The form's fields from the stored experiment (defaults for what is not set)."""
    s = experiment.settings
    values: dict[str, Any] = {**DEFAULTS}
    values.update(
        name=experiment.name,
        target=experiment.target,
        task=experiment.task or "",
        metric=experiment.metric or "",
    )
    for key in ("description", "time_budget", "trial_timeout", "max_trials", "seed", "n_jobs"):
        if key in s:
            values[key] = _text(s[key])
    for key in ("early_stopping_rounds", "memory_limit_mb", "log_level", "sampler"):
        if key in s:
            values[key] = _text(s[key])
    for key in ("cpu_per_trial", "gpu_per_trial"):
        if key in s:
            values[key] = _text(s[key])
    executor = s.get("executor") or {}
    values["executor_kind"] = _text(executor.get("kind"))
    values["ray_address"] = _text(executor.get("address"))
    if s.get("refit_final") is not None:
        values["refit_final"] = "1" if s["refit_final"] else "0"
    if s.get("infer_limit"):
        values["min_rows_per_s"] = _text(round(1 / float(s["infer_limit"])))
    ensemble = s.get("ensemble")
    if isinstance(ensemble, bool):
        ensemble = "greedy" if ensemble else "none"
    if ensemble:
        values["ensemble"] = ensemble
    values["algorithms"] = list(s.get("algorithms") or [])
    prep = s.get("preprocessing") or {}
    for key in ("encoding", "scaling", "variance_threshold", "onehot_max_categories"):
        if prep.get(key) is not None:
            values[key] = _text(prep[key])
    values["feature_engineering"] = list(prep.get("feature_engineering") or [])
    values.update(_split_values(s.get("split"), s.get("test_ratio")))
    sampling = s.get("sampling") or {}
    values["sample_pct"] = _pct(sampling.get("ratio"))
    values["sample_size"] = _text(sampling.get("size"))
    values["balance_to"] = _text(sampling.get("balance_to"))
    values["smote"] = bool(sampling.get("smote"))
    values["synthesizer"] = _text(sampling.get("synthesizer") or "copula")
    clustering = s.get("clustering") or {}
    values["n_clusters"] = _text(clustering.get("n_clusters") or "auto")
    values["cluster_label"] = _text(clustering.get("label"))
    return values


def _split_values(split: Mapping[str, Any] | None, test_ratio: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if not split:  # the automatic split holds back ``test_ratio``
        out["cv_test_pct"] = _pct(test_ratio or 0.0)
        return out
    kind = split.get("kind", "cv")
    if kind == "holdout" and split.get("column_ranges"):
        kind = "range"
        for (low, high), part in zip(
            split["column_ranges"], ("train", "valid", "test"), strict=False
        ):
            out[f"range_{part}_low"], out[f"range_{part}_high"] = _text(low), _text(high)
    out["split_kind"] = "cv" if kind == "repeated_cv" else kind
    if split.get("ratios"):
        out["train_pct"], out["valid_pct"], out["test_pct"] = (_pct(r) for r in split["ratios"])
    if split.get("folds") is not None:
        out["folds"] = _text(split["folds"])
    if split.get("test_ratio") is not None:
        out["cv_test_pct"] = _pct(split["test_ratio"])
    out["split_column"] = _text(split.get("column"))
    return out


# -- form -> PATCH body ---------------------------------------------------------------------
def _number(form: Mapping[str, Any], name: str, *, integer: bool = False) -> float | int | None:
    raw = str(form.get(name) or "").strip().replace(",", "")
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise FieldError(["form", name], "enter a number", "value_error") from None
    if integer:
        if not value.is_integer():
            raise FieldError(["form", name], "enter a whole number", "value_error")
        return int(value)
    return value


def _fraction(form: Mapping[str, Any], name: str) -> float | None:
    value = _number(form, name)
    return None if value is None else round(float(value) / 100, 6)


def patch_body(form: Mapping[str, Any]) -> dict[str, Any]:
    """``{"name", "target", "task", "metric", "settings"}`` for the PATCH of the experiment.

    Task ``clustering`` sends no target, metric, split, sampling or preprocessing (those
    parts of the form are hidden) and ``settings.clustering`` instead."""
    if form.get("task") == CLUSTERING:
        return _clustering_body(form)
    settings: dict[str, Any] = {
        "description": str(form.get("description") or "").strip() or None,
        "algorithms": list(form.get("algorithms") or []) or None,
        "ensemble": form.get("ensemble") or None,  # null: the default
        "time_budget": _number(form, "time_budget"),
        "trial_timeout": _number(form, "trial_timeout"),
        "max_trials": _number(form, "max_trials", integer=True),
        "early_stopping_rounds": _number(form, "early_stopping_rounds", integer=True),
        "log_level": form.get("log_level") or None,
        "seed": _number(form, "seed", integer=True),
        "n_jobs": _number(form, "n_jobs", integer=True),
        "memory_limit_mb": _number(form, "memory_limit_mb"),
        "cpu_per_trial": _number(form, "cpu_per_trial", integer=True),
        "gpu_per_trial": _number(form, "gpu_per_trial"),
        "executor": _executor(form),
        "sampler": form.get("sampler") or None,
        "refit_final": form.get("refit_final", "1") != "0",
        "infer_limit": _infer_limit(form),
        "preprocessing": _preprocessing(form),
        "split": _split(form),
        "sampling": _sampling(form),
        # the automatic split's test share (blank: the default); other kinds carry their own
        "test_ratio": _fraction(form, "cv_test_pct") if _split(form) is None else None,
        "clustering": None,
    }
    return {
        "name": str(form.get("name") or "").strip() or None,
        "target": str(form.get("target") or "").strip() or None,
        "task": form.get("task") or None,
        "metric": form.get("metric") or None,
        "settings": settings,
    }


def _executor(form: Mapping[str, Any]) -> dict[str, Any] | None:
    """``{"kind", "address"}``; None (the server's default) when no kind is chosen."""
    kind = str(form.get("executor_kind") or "").strip()
    if not kind:
        return None
    address = str(form.get("ray_address") or "").strip() or None
    return {"kind": kind, "address": address if kind == "ray" else None}


def _clustering_body(form: Mapping[str, Any]) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "description": str(form.get("description") or "").strip() or None,
        "algorithms": list(form.get("algorithms") or []) or None,
        "time_budget": _number(form, "time_budget"),
        "max_trials": _number(form, "max_trials", integer=True),
        "log_level": form.get("log_level") or None,
        "seed": _number(form, "seed", integer=True),
        "clustering": {
            "n_clusters": str(form.get("n_clusters") or "auto"),
            "label": str(form.get("cluster_label") or "").strip() or None,
        },
        "split": None,
        "sampling": None,
        "preprocessing": None,
        "test_ratio": None,
    }
    return {
        "name": str(form.get("name") or "").strip() or None,
        "target": None,
        "task": CLUSTERING,
        "metric": None,
        "settings": settings,
    }


def _infer_limit(form: Mapping[str, Any]) -> float | None:
    """The engine's ``infer_limit`` (seconds per row) from the rows/s floor typed in."""
    rows = _number(form, "min_rows_per_s")
    if rows is None:
        return None
    if rows <= 0:
        raise FieldError(["form", "min_rows_per_s"], "enter a positive number", "value_error")
    return 1 / float(rows)


def _preprocessing(form: Mapping[str, Any]) -> dict[str, Any] | None:
    prep = {
        "encoding": form.get("encoding") or "auto",
        "scaling": form.get("scaling") or "none",
        "variance_threshold": _number(form, "variance_threshold"),
        "onehot_max_categories": _number(form, "onehot_max_categories", integer=True),
        "feature_engineering": list(form.get("feature_engineering") or []),
    }
    default = (
        prep["encoding"] == "auto"
        and prep["scaling"] == "none"
        and prep["variance_threshold"] is None
        and prep["onehot_max_categories"] in (None, PreprocessingSettings().onehot_max_categories)
        and not prep["feature_engineering"]
    )
    return None if default else {k: v for k, v in prep.items() if v is not None}


def _split(form: Mapping[str, Any]) -> dict[str, Any] | None:
    kind = form.get("split_kind") or "auto"
    column = str(form.get("split_column") or "").strip() or None
    folds = _number(form, "folds", integer=True)
    test = _fraction(form, "cv_test_pct") or 0.0
    if kind == "auto":  # the engine chooses CV or holdout; the test share is ``test_ratio``
        return None if folds in (None, 5) else {"kind": "cv", "folds": folds, "test_ratio": test}
    if kind == "holdout":
        ratios = [_fraction(form, f"{p}_pct") or 0.0 for p in ("train", "valid", "test")]
        return {"kind": "holdout", "ratios": ratios}
    if kind == "range":
        bounds = [_number(form, name) for name in RANGE_FIELDS]
        if any(b is None for b in bounds):
            raise FieldError(["form", "ranges"], "enter every low and high value", "missing")
        pairs = [[bounds[i], bounds[i + 1]] for i in (0, 2, 4)]
        return {"kind": "holdout", "column": column, "column_ranges": pairs}
    split: dict[str, Any] = {"kind": kind, "folds": folds or 5, "test_ratio": test}
    if column is not None or kind == "group":
        split["column"] = column
    return split


def _sampling(form: Mapping[str, Any]) -> dict[str, Any] | None:
    sampling = {
        "ratio": _fraction(form, "sample_pct"),
        "size": _number(form, "sample_size", integer=True),
        "balance_to": str(form.get("balance_to") or "").strip() or None,
        "smote": bool(form.get("smote")),
    }
    synthesizer = str(form.get("synthesizer") or "").strip()
    if synthesizer and synthesizer != "copula":  # the default stays implicit
        sampling["synthesizer"] = synthesizer
    if not any(sampling.values()):
        return None
    return sampling


def form_errors(exc: Exception) -> dict[str, str]:
    """Error messages keyed by form field (``form`` for anything without a field)."""
    errors: dict[str, str] = {}
    details = getattr(exc, "errors", None)
    items = details() if callable(details) else details
    for item in items or [{"loc": ["form"], "msg": str(exc)}]:
        loc = [str(p) for p in item.get("loc", ())]
        if loc and loc[0] in ("body", "form", "query", "header"):
            loc = loc[1:]
        if loc and loc[0] == "settings":
            dotted = ".".join(p for p in loc[1:] if not p.isdigit())
            name = _ERROR_FIELDS.get(dotted, dotted.rsplit(".", 1)[-1] or "form")
            if "type" in item and "input" in item:  # a pydantic error: the model's words
                _, message = describe_error({**item, "loc": loc[1:]}, AutoMLSettings)
                item = {**item, "msg": message}
        else:
            name = loc[0] if loc else "form"
        errors.setdefault(name, str(item.get("msg", "")))
    return errors
