"""The Monitoring tab of a deployment, ``/deployments/{id}/monitoring``: drift table with
reference vs current distributions, performance over time with intervals, alert rules and
alerts, retraining with the challenger's comparison and one-click promotion."""

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from tunelab.entities.errors import TunelabError
from tunelab.entities.platform import JobKind
from tunelab.jobs import RULE_KINDS, drift_of, performance_of
from tunelab.server.deps import ArtifactsDep, PredictorsDep, SettingsDep, StoreDep
from tunelab.server.errors import FieldError
from tunelab.server.monitoring import retrain, service
from tunelab.server.monitoring.schedule import monitor_payload
from tunelab.server.monitoring.window_data import MIN_LABELLED
from tunelab.server.ui.rendering import render

router = APIRouter(include_in_schema=False)
BUCKETS = ("hour", "day", "week")
WINDOW = "window"  # the retrain form's choice of the labelled window instead of a dataset


def _page(deployment_id: str, **query: str) -> RedirectResponse:
    suffix = f"?{urlencode(query)}" if query else ""
    return RedirectResponse(f"/deployments/{deployment_id}/monitoring{suffix}", status_code=303)


def _error_text(exc: Exception) -> str:
    return str(exc.errors[0]["msg"]) if isinstance(exc, FieldError) else str(exc)


def _series(performance: dict[str, Any], metric: str | None) -> list[dict[str, Any]]:
    """One row per bucket: the metric measured (with interval) or estimated."""
    rows = []
    for bucket in performance["buckets"]:
        measured = bucket["metrics"].get(metric or "") or {}
        estimated = bucket["estimated"].get(metric or "") or {}
        rows.append({**bucket, "measured": measured, "estimate": estimated})
    return rows


@router.get("/deployments/{deployment_id}/monitoring", response_class=HTMLResponse)
def monitoring_page(
    deployment_id: str,
    request: Request,
    store: StoreDep,
    predictors: PredictorsDep,
    start: str | None = None,
    end: str | None = None,
    bucket: str = "day",
    error: str | None = None,
    notice: str | None = None,
) -> HTMLResponse:
    deployment = store.get_deployment(deployment_id)
    context: dict[str, Any] = {
        "deployment": deployment,
        "start": start or "",
        "end": end or "",
        "bucket": bucket if bucket in BUCKETS else "day",
        "buckets": BUCKETS,
        "error": error,
        "notice": notice,
        "rule_kinds": RULE_KINDS,
    }
    try:
        first, last = service.window_of(start, end)
        predictor = predictors.get(deployment_id)
    except TunelabError as exc:
        context["load_error"] = _error_text(exc)
        return render(request, "monitoring/detail.html", context, status_code=409)
    if predictors.log is not None:
        predictors.log.flush()
    bundle = predictor.bundle
    drift = drift_of(store, bundle, deployment_id, first, last)
    performance = performance_of(store, bundle, deployment_id, first, last, context["bucket"])
    metric = performance["metrics"][0] if performance["metrics"] else None
    reference = performance["reference"]["metrics"].get(metric or "") if metric else None
    context.update(
        drift=drift,
        performance=performance,
        metric=metric,
        series=_series(performance, metric),
        reference=reference,
        reference_part=performance["reference"]["part"],
        rules=store.list_alert_rules(deployment_id),
        alerts=store.list_alerts(deployment_id, limit=20),
        retrains=retrain.retrains(store, deployment_id),
        datasets=store.list_datasets(limit=200),
        min_labelled=MIN_LABELLED,
        columns=list(bundle.feature_columns),
    )
    return render(request, "monitoring/detail.html", context)


def _number(value: str, name: str) -> float | None:
    if not value.strip():
        return None
    try:
        return float(value)
    except ValueError:
        raise FieldError(
            ["body", "params", name], f"{name} must be a number", "value_error"
        ) from None


@router.post("/deployments/{deployment_id}/monitoring/rules")
def add_rule(
    deployment_id: str,
    store: StoreDep,
    settings: SettingsDep,
    kind: str = Form(...),
    column: str = Form(""),
    metric: str = Form(""),
    value: str = Form(""),
    webhook_url: str = Form(""),
) -> RedirectResponse:
    try:
        given: dict[str, Any] = {"column": column, "metric": metric}
        number = _number(value, "value")
        if number is not None:
            given["value"] = number
        needed = service.RULE_NEEDS.get(kind, ())  # the form's other fields are ignored
        params = {k: v for k, v in given.items() if k in needed and v not in (None, "")}
        service.check_rule(kind, params, webhook_url or None, settings.webhook_allow_private)
        store.add_alert_rule(
            deployment_id, kind=kind, params=params, webhook_url=webhook_url or None
        )
    except TunelabError as exc:
        return _page(deployment_id, error=_error_text(exc))
    return _page(deployment_id, notice="rule_added")


@router.post("/deployments/{deployment_id}/monitoring/rules/{rule_id}/delete")
def delete_rule(deployment_id: str, rule_id: str, store: StoreDep) -> RedirectResponse:
    store.delete_alert_rule(deployment_id, rule_id)
    return _page(deployment_id)


@router.post("/deployments/{deployment_id}/monitoring/check")
def check_rules(deployment_id: str, store: StoreDep, settings: SettingsDep) -> RedirectResponse:
    store.get_deployment(deployment_id)
    store.enqueue_job(JobKind.MONITOR, monitor_payload(settings, deployment_id), max_attempts=1)
    return _page(deployment_id, notice="check_queued")


@router.post("/deployments/{deployment_id}/monitoring/retrain")
def start_retrain(
    deployment_id: str,
    request: Request,
    store: StoreDep,
    artifacts: ArtifactsDep,
    dataset_id: str = Form(...),
    auto_promote: bool = Form(False),
    min_improvement: str = Form(""),
    include_training_data: bool = Form(False),
    start: str = Form(""),
    end: str = Form(""),
) -> RedirectResponse:
    """Retrain on a chosen dataset, or (``dataset_id=window``) on the labelled predictions of
    the page's time window."""
    try:
        minimum = max(0.0, _number(min_improvement, "min_improvement") or 0.0)
        if dataset_id == WINDOW:
            first, last = service.window_of(start, end)
            retrain.start_window_retrain(
                store,
                artifacts,
                deployment_id,
                first,
                last,
                include_training_data=include_training_data,
                auto_promote=auto_promote,
                min_improvement=minimum,
            )
        else:
            retrain.start_retrain(
                store,
                deployment_id,
                dataset_id,
                auto_promote=auto_promote,
                min_improvement=minimum,
            )
        request.app.state.traffic.refresh(deployment_id)
    except TunelabError as exc:
        return _page(deployment_id, error=_error_text(exc))
    return _page(deployment_id, notice="retrain_queued")


@router.post("/deployments/{deployment_id}/monitoring/promote")
def promote(
    deployment_id: str,
    request: Request,
    store: StoreDep,
    predictors: PredictorsDep,
    version: int = Form(...),
) -> RedirectResponse:
    try:
        retrain.promote(store, request.app.state.traffic, predictors, deployment_id, version)
    except TunelabError as exc:
        return _page(deployment_id, error=_error_text(exc))
    return _page(deployment_id, notice="promoted")
