"""Deployment services shared by the REST views and the web pages: usage, snippets, compare."""

import json
import shlex
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from tunelab.server.deployments.reference import example_record
from tunelab.server.errors import FieldError
from tunelab.server.predictor import Predictor, PredictorCache
from tunelab.tracking import MetadataStore, jsonable

SNIPPET_LANGS = ("python", "curl")
MAX_COMPARE = 10


def example_body(predictor: Predictor) -> dict[str, Any]:
    """A request body with one record of each column's most frequent training value."""
    bundle = predictor.bundle
    return {"records": [jsonable(example_record(bundle.schema, bundle.reference_statistics))]}


def predict_url(base_url: str, deployment_id: str) -> str:
    return f"{base_url.rstrip('/')}/api/v1/deployments/{deployment_id}/predict"


def curl_line(url: str, body: dict[str, Any], token: bool = False) -> str:
    auth = ' -H "Authorization: Bearer $TUNELAB_API_TOKEN"' if token else ""
    payload = json.dumps(body, ensure_ascii=False)
    return f"curl -s -X POST {shlex.quote(url)} -H 'Content-Type: application/json'{auth} " + (
        f"-d {shlex.quote(payload)}"
    )


def usage(predictor: Predictor, base_url: str, token: bool = False) -> dict[str, Any]:
    """How to call the deployment over REST: URL, method, headers, example body, curl."""
    url = predict_url(base_url, predictor.deployment_id)
    body = example_body(predictor)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = "Bearer <TUNELAB_API_TOKEN>"
    return {
        "url": url,
        "method": "POST",
        "headers": headers,
        "example_body": body,
        "explain_url": f"{url}?explain=true",
        "curl": curl_line(url, body, token),
        "fields": [c.to_dict() for c in predictor.bundle.schema],
        "task": predictor.bundle.task.value,
        "classes": predictor.bundle.classes,
    }


_PYTHON = '''"""Predict with the model bundle of deployment {deployment_id} ({name} v{version}).

Unzip the bundle (GET {bundle_url}) into BUNDLE first; needs `pip install tunelab`.
"""

import pandas as pd

from tunelab.bundles import load_bundle

BUNDLE = {bundle_path!r}
records = {records}

bundle = load_bundle(BUNDLE)  # verifies checksums and trusted types; never unpickles
frame = pd.DataFrame.from_records(records)
print("predictions:", bundle.predict(frame).tolist())
{proba}'''

_PROBA = (
    'print("probabilities:", bundle.predict_proba(frame).round(4).to_dict(orient="records"))\n'
)


def snippet(
    predictor: Predictor,
    store: MetadataStore,
    lang: str,
    base_url: str,
    bundle_path: str = "model_bundle",
    token: bool = False,
) -> str:
    """A ready-to-run snippet: ``python`` predicts with the bundle, ``curl`` calls the API."""
    if lang not in SNIPPET_LANGS:
        raise FieldError(
            ["query", "lang"], f"lang {lang!r} is not one of {', '.join(SNIPPET_LANGS)}", "enum"
        )
    body = example_body(predictor)
    if lang == "curl":
        return curl_line(predict_url(base_url, predictor.deployment_id), body, token) + "\n"
    deployment = store.get_deployment(predictor.deployment_id)
    base = base_url.rstrip("/")
    return _PYTHON.format(
        deployment_id=deployment.id,
        name=deployment.name,
        version=deployment.version,
        bundle_url=f"{base}/api/v1/deployments/{deployment.id}/bundle",
        bundle_path=bundle_path,
        records=json.dumps(body["records"], indent=4, ensure_ascii=False),
        proba=_PROBA if predictor.bundle.task.is_classification else "",
    )


def pipeline_summary(predictor: Predictor) -> dict[str, Any]:
    """The model's structure from the bundle: kind, members, preprocessing steps, estimator."""
    manifest = predictor.bundle.manifest
    extra = manifest.get("extra") or {}

    def describe(model: Any, weight: float | None = None) -> dict[str, Any]:
        node: dict[str, Any] = {"type": type(model).__name__}
        if weight is not None:
            node["weight"] = float(weight)
        if hasattr(model, "preprocessor_") and hasattr(model, "estimator_"):
            node["steps"] = [name for name, _ in getattr(model.preprocessor_, "steps", [])]
            node["estimator"] = type(model.estimator_).__name__
            node["flavor"] = getattr(model, "flavor", None)
        elif hasattr(model, "members_"):
            node["members"] = [
                describe(m, w) for m, w in zip(model.members_, model.weights_, strict=True)
            ]
        elif getattr(model, "estimators_", None):
            node["folds"] = len(model.estimators_)
            node["member"] = describe(model.estimators_[0])
        elif hasattr(model, "steps"):
            node["steps"] = [name for name, _ in model.steps]
        return node

    return {
        "task": manifest.get("task"),
        "target": manifest.get("target"),
        "classes": manifest.get("classes"),
        "feature_columns": manifest.get("feature_columns"),
        "model_kind": extra.get("model_kind"),
        "metric": extra.get("metric"),
        "metrics": manifest.get("metrics") or {},
        "libraries": manifest.get("libraries") or {},
        "created_at": manifest.get("created_at"),
        "fast_path": predictor.plan is not None,
        "structure": describe(predictor.bundle.model),
    }


def compare(store: MetadataStore, predictors: PredictorCache, ids: list[str]) -> dict[str, Any]:
    """Side-by-side facts of several deployments: model, task, metrics, latency, created."""
    if not ids:
        raise FieldError(
            ["query", "ids"], "give deployment ids to compare, e.g. ?ids=a,b", "missing"
        )
    if len(ids) > MAX_COMPARE:
        raise FieldError(
            ["query", "ids"], f"compare at most {MAX_COMPARE} deployments at once", "too_long"
        )
    items: list[dict[str, Any]] = []
    for deployment_id in ids:
        deployment = store.get_deployment(deployment_id)
        model = store.get_model(deployment.model_id)
        items.append(
            {
                "deployment": deployment,
                "model": model,
                **model_origin(store, model),
                "score": validation_score(model.metrics),
                "metrics": _comparable_metrics(model.metrics),
                "stats": store.prediction_stats(deployment_id),
            }
        )
    metric_names: set[str] = set()
    for item in items:
        metric_names.update(item["metrics"])
    names = sorted(metric_names)
    return {"items": items, "metric_names": names}


# housekeeping numbers of a model record, not measurements: which run and trial it came from
# (an ensemble has no trial: -1), its rank, and timings an ensemble does not have (0 s)
_NOT_METRICS = frozenset(
    {"run", "trial", "best.trial", "best.rank", "best.score", "best.score_std"}
)
_TIMINGS = frozenset({"best.fit_time", "best.predict_time"})


def validation_score(metrics: dict[str, Any]) -> dict[str, Any] | None:
    """The search's validation score of a model with what it measures: ``{"value", "std",
    "metric", "validation"}`` (None when the model record has no score)."""
    best = metrics.get("best") or {}
    value = best.get("score")
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    std = best.get("score_std")
    return {
        "value": float(value),
        "std": float(std) if isinstance(std, int | float) and std == std else None,
        "metric": metrics.get("metric") or "",
        "validation": metrics.get("validation") or "",
    }


def _comparable_metrics(metrics: dict[str, Any]) -> dict[str, float]:
    """The model's numbers worth comparing: no ids, ranks or placeholder timings."""
    flat = _flat_metrics(metrics)
    return {
        name: value
        for name, value in flat.items()
        if name not in _NOT_METRICS and not (name in _TIMINGS and value <= 0)
    }


def model_origin(
    store: MetadataStore, model: Any, may_see: Callable[[Any, str], bool] | None = None
) -> dict[str, Any]:
    """Experiment, dataset, run and trial a model came from (None when unknown, or when the
    caller may not see them: a shared deployment does not name a private experiment).
    ``may_see(kind, id)`` answers for a whole list at once (default: ask the store)."""
    from tunelab.entities.auth import ResourceKind
    from tunelab.entities.platform import NotFoundError

    may_see = may_see or store.may_see

    origin: dict[str, Any] = dict.fromkeys(
        ("experiment_id", "experiment_name", "dataset_id", "dataset_name")
    )
    if model.experiment_id and may_see(ResourceKind.EXPERIMENT, model.experiment_id):
        try:
            experiment = store.get_experiment(model.experiment_id)
            origin.update(experiment_id=experiment.id, experiment_name=experiment.name)
            if may_see(ResourceKind.DATASET, experiment.dataset_id):
                dataset = store.get_dataset(experiment.dataset_id)
                origin.update(dataset_id=dataset.id, dataset_name=dataset.name)
        except NotFoundError:
            pass
    metrics = model.metrics or {}
    origin.update(run=metrics.get("run"), trial=metrics.get("trial"))
    return origin


def _flat_metrics(metrics: dict[str, Any], prefix: str = "") -> dict[str, float]:
    """``{"valid": {"auc": 0.9}}`` -> ``{"valid.auc": 0.9}`` (numbers only)."""
    out: dict[str, float] = {}
    for key, value in metrics.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            if "value" in value and isinstance(value["value"], int | float):
                out[name] = float(value["value"])
            else:
                out.update(_flat_metrics(value, f"{name}."))
        elif isinstance(value, int | float) and not isinstance(value, bool):
            out[name] = float(value)
    return out


def bundle_zip(predictor: Predictor, out_dir: Path) -> Path:
    """The deployment's bundle as a zip file in ``out_dir``."""
    from tunelab.bundles import zip_bundle

    return zip_bundle(predictor.bundle.path, out_dir / f"{predictor.deployment_id}.zip")


def remove_tree(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)


def fill_explanations(
    store: MetadataStore, predictors: PredictorCache, deployment_id: str, items: list[Any]
) -> list[Any]:
    """``items`` (stored predictions) with any missing explanation computed and stored."""
    missing = [p for p in items if p.explanation is None]
    if not missing:
        return items
    made: dict[int, dict[str, Any]] = {}
    by_model: dict[str | None, list[Any]] = {}
    for p in missing:  # each prediction explained by the model that answered it
        by_model.setdefault(p.model_id, []).append(p)
    for model_id, group in by_model.items():
        try:
            if model_id is None:
                predictor = predictors.get(deployment_id)
            else:
                predictor = predictors.for_model(model_id)
            explained = predictor.explain([r for p in group for r in p.inputs])
        except Exception:  # the history stays readable even if the model cannot explain
            continue
        at = 0
        for p in group:
            made[p.id] = {"rows": explained[at : at + len(p.inputs)]}
            at += len(p.inputs)
    if not made:
        return items
    store.set_prediction_explanations(made)
    return [replace(p, explanation=made[p.id]) if p.id in made else p for p in items]
