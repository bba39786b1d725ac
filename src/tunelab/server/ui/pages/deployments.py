"""Deployments pages: ``/deployments`` (list, compare, delete) and ``/deployments/{id}``
(bundle + snippet, pipeline, REST usage, prediction form with explanation, history)."""

import contextlib
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from tunelab.entities.auth import ResourceKind
from tunelab.entities.errors import TunelabError, public_message
from tunelab.entities.platform import NotFoundError
from tunelab.server.deployments import service
from tunelab.server.deployments.reference import CATEGORY_KINDS, typical_value
from tunelab.server.deps import PredictorsDep, SettingsDep, StoreDep
from tunelab.server.predictor import Predictor
from tunelab.server.ui.labels import parse_description
from tunelab.server.ui.rendering import render, render_fragment
from tunelab.tracking import MetadataStore

router = APIRouter(include_in_schema=False)
HISTORY_PAGE = 10


def form_fields(predictor: Predictor) -> list[dict[str, Any]]:
    """One form field per input column, defaulting to its most frequent training value;
    ``help`` is the column's data dictionary entry (description, value meanings)."""
    stats = predictor.bundle.reference_statistics
    dictionary = predictor.bundle.manifest.get("data_dictionary") or {}
    fields = []
    for column in predictor.bundle.schema:
        default = typical_value(column, stats.get(column.name))
        choices = list(column.categories or ()) if column.kind in CATEGORY_KINDS else []
        if column.kind == "numeric":
            widget = "number"
        elif choices and not column.categories_truncated:
            widget = "select"
        else:
            widget = "text"
        fields.append(
            {
                "name": column.name,
                "kind": column.kind,
                "input": widget,
                "choices": choices,
                "default": default,
                "help": dictionary_help(dictionary.get(column.name)),
            }
        )
    return fields


def dictionary_help(entry: Any) -> str:
    """One line of help from a data dictionary entry: description, then value meanings."""
    if not isinstance(entry, dict):
        return ""
    parts = [str(entry[k]).strip() for k in ("description", "meaning") if entry.get(k)]
    return " — ".join(p for p in parts if p)


def _visible_lineage(store: MetadataStore, models: list[Any]) -> Callable[[Any, str], bool]:
    """Which experiments and datasets of these models the caller may see: two queries for
    the whole list (not one per row)."""
    experiment_ids = {m.experiment_id for m in models if m.experiment_id}
    experiments = store.visible_ids(ResourceKind.EXPERIMENT, experiment_ids)
    dataset_ids = set()
    for experiment_id in experiments:
        with contextlib.suppress(NotFoundError):
            dataset_ids.add(store.get_experiment(experiment_id).dataset_id)
    datasets = store.visible_ids(ResourceKind.DATASET, dataset_ids)

    def may_see(kind: Any, resource_id: str) -> bool:
        return resource_id in (experiments if kind is ResourceKind.EXPERIMENT else datasets)

    return may_see


@router.get("/deployments", response_class=HTMLResponse)
def deployments_page(
    request: Request,
    store: StoreDep,
    predictors: PredictorsDep,
    compare: list[str] = Query(default=[]),
) -> HTMLResponse:
    deployments = store.list_deployments(limit=200)
    models = {d.model_id: store.get_model(d.model_id) for d in deployments}
    may_see = _visible_lineage(store, list(models.values()))
    origins = {model_id: service.model_origin(store, m, may_see) for model_id, m in models.items()}
    comparison, error = None, None
    if compare:
        try:
            comparison = service.compare(store, predictors, list(dict.fromkeys(compare)))
        except TunelabError as exc:
            error = public_message(exc)
        for item in (comparison or {}).get("items", []):  # the scheme, said in the page's words
            score = item.get("score") or {}
            item["validation_facts"] = parse_description(score.get("validation"))
    return render(
        request,
        "deployments/list.html",
        {
            "deployments": deployments,
            "models": models,
            "origins": origins,
            "comparison": comparison,
            "selected": set(compare),
            "compare_error": error,
        },
    )


@router.post("/deployments/{deployment_id}/delete")
def delete_deployment(
    deployment_id: str, store: StoreDep, predictors: PredictorsDep
) -> RedirectResponse:
    store.delete_deployment(deployment_id)
    predictors.forget(deployment_id)
    return RedirectResponse("/deployments", status_code=303)


@router.get("/deployments/{deployment_id}", response_class=HTMLResponse)
def deployment_page(
    deployment_id: str,
    request: Request,
    store: StoreDep,
    predictors: PredictorsDep,
    settings: SettingsDep,
) -> HTMLResponse:
    deployment = store.get_deployment(deployment_id)
    model = store.get_model(deployment.model_id)
    context: dict[str, Any] = {"deployment": deployment, "model": model, "load_error": None}
    try:
        predictor = predictors.get(deployment_id)
    except TunelabError as exc:
        context["load_error"] = public_message(exc)
        return render(request, "deployments/detail.html", context, status_code=409)
    base = str(request.base_url)
    token = settings.needs_token
    context.update(
        usage=service.usage(predictor, base, token),
        python_snippet=service.snippet(predictor, store, "python", base, token=token),
        curl_snippet=service.snippet(predictor, store, "curl", base, token=token),
        pipeline=service.pipeline_summary(predictor),
        fields=form_fields(predictor),
        fields_dictionary=predictor.bundle.manifest.get("data_dictionary") or {},
        history=_history(store, predictors, deployment_id, None),
        stats=store.prediction_stats(deployment_id),
    )
    return render(request, "deployments/detail.html", context)


def _history(
    store: Any, predictors: Any, deployment_id: str, before_id: int | None
) -> dict[str, Any]:
    items = store.list_predictions(deployment_id, limit=HISTORY_PAGE + 1, before_id=before_id)
    more = len(items) > HISTORY_PAGE
    items = service.fill_explanations(store, predictors, deployment_id, items[:HISTORY_PAGE])
    rows = []
    for item in items:
        explanation_rows = (item.explanation or {}).get("rows") or []
        for i, record in enumerate(item.inputs):
            top = []
            if i < len(explanation_rows):
                contributions = explanation_rows[i].get("contributions") or {}
                top = sorted(contributions.items(), key=lambda kv: -abs(kv[1]))[:3]
            rows.append(
                {
                    "id": item.id,
                    "created_at": item.created_at,
                    "inputs": record,
                    "prediction": (item.outputs.get("predictions") or [None] * (i + 1))[i],
                    "latency_ms": item.latency_ms,
                    "top": top,
                }
            )
    next_before = items[-1].id if more and items else None
    return {
        "rows": rows,
        "next_before": next_before,
        "before_id": before_id,
        "deployment_id": deployment_id,
    }


@router.get("/deployments/{deployment_id}/history", response_class=HTMLResponse)
def history_fragment(
    deployment_id: str,
    request: Request,
    store: StoreDep,
    predictors: PredictorsDep,
    before_id: int | None = None,
) -> HTMLResponse:
    """The prediction history table (HTMX): newest first, ``before_id`` for older pages."""
    if predictors.log is not None:
        predictors.log.flush()
    history = _history(store, predictors, deployment_id, before_id)
    return render_fragment(request, "deployments/_history.html", {"history": history})
