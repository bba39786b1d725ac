"""The ``monitor`` job: evaluate every enabled alert rule (of one deployment, or all),
store an alert for each rule whose condition holds and send it to the rule's webhook."""

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from tunelab.entities.platform import DeploymentStatus, NotFoundError
from tunelab.jobs._context import JobContext
from tunelab.jobs._handlers import _bundle_dir
from tunelab.jobs._monitoring import drift_of, performance_of
from tunelab.jobs._webhook import send_webhook
from tunelab.tracking import MetadataStore

log = logging.getLogger(__name__)
RULE_KINDS = ("dataset_drift", "column_drift", "metric_below", "error_rate", "latency_p95")
DEFAULT_WINDOW_HOURS = 24.0
DEFAULT_COOLDOWN_MINUTES = 60.0


def check_rule(
    store: MetadataStore, bundle: Any, rule: dict[str, Any], now: datetime
) -> tuple[str, dict[str, Any]] | None:
    """``(message, details)`` when the rule's condition holds over its window, else None."""
    params = rule["params"]
    deployment_id = rule["deployment_id"]
    start = now - timedelta(hours=float(params.get("window_hours", DEFAULT_WINDOW_HOURS)))
    kind = rule["kind"]
    if kind in ("dataset_drift", "column_drift"):
        report = drift_of(store, bundle, deployment_id, start, now)
        if kind == "dataset_drift":
            if report["dataset_drift"]:
                share = report["drift_share"]
                drifted = [c["name"] for c in report["columns"] if c["drifted"]]
                return (
                    f"dataset drift: {share:.0%} of columns drifted ({', '.join(drifted)})",
                    {"drift_share": share, "columns": drifted, "rows": report["rows"]},
                )
            return None
        column = next((c for c in report["columns"] if c["name"] == params.get("column")), None)
        if column is not None and column["drifted"]:
            return (
                f"column {column['name']} drifted: {column['method']} {column['score']:.4g} "
                f"(threshold {column['threshold']:.4g})",
                {k: column[k] for k in ("name", "method", "score", "threshold")},
            )
        return None
    if kind == "metric_below":
        metric, limit = str(params.get("metric")), float(params["value"])
        report = performance_of(store, bundle, deployment_id, start, now, "day")
        for bucket in reversed(report["buckets"]):
            found = bucket["metrics"].get(metric) or bucket["estimated"].get(metric)
            if found and found.get("value") is not None:
                value = float(found["value"])
                if value < limit:
                    kind_of = "estimated" if found.get("estimate") else "measured"
                    return (
                        f"{metric} {value:.4g} ({kind_of}) is below {limit:.4g}",
                        {
                            "metric": metric,
                            "value": value,
                            "limit": limit,
                            "bucket": bucket["start"],
                        },
                    )
                return None
        return None
    if kind == "error_rate":
        counts = store.request_counts(deployment_id, start, now)
        if counts["requests"]:
            rate = counts["errors"] / counts["requests"]
            if rate > float(params["value"]):
                return (
                    f"error rate {rate:.1%} is above {float(params['value']):.1%}",
                    {"error_rate": rate, **counts},
                )
        return None
    if kind == "latency_p95":
        p95, n = store.latency_quantile(deployment_id, start, now, 0.95)
        if p95 is not None and p95 > float(params["value"]):
            return (
                f"p95 latency {p95:.1f} ms is above {float(params['value']):.1f} ms",
                {"latency_p95_ms": p95, "predictions": n},
            )
        return None
    raise ValueError(f"unknown alert rule kind {kind!r}")


def run_monitor(ctx: JobContext) -> dict[str, Any]:
    """Evaluate the alert rules; returns how many were checked and fired."""
    store = ctx.store
    only = ctx.payload.get("deployment_id")
    allow_private = bool(ctx.payload.get("allow_private_webhooks", False))
    from tunelab.bundles import load_bundle

    bundles: dict[str, Any] = {}
    now = datetime.now(UTC)
    checked = fired = 0
    for rule in store.list_alert_rules(only):
        ctx.check_cancelled()
        if not rule["enabled"]:
            continue
        deployment_id = rule["deployment_id"]
        try:
            deployment = store.get_deployment(deployment_id)
        except NotFoundError:
            continue
        if deployment.status is not DeploymentStatus.ACTIVE:
            continue
        if deployment.model_id not in bundles:
            bundles[deployment.model_id] = load_bundle(_bundle_dir(ctx, deployment.model_id))
        cooldown = float(rule["params"].get("cooldown_minutes", DEFAULT_COOLDOWN_MINUTES))
        last = store.last_alert_at(rule["id"])
        checked += 1
        store.mark_rule_checked(rule["id"])
        if last is not None and now - last < timedelta(minutes=cooldown):
            continue
        found = check_rule(store, bundles[deployment.model_id], rule, now)
        if found is None:
            continue
        message, details = found
        delivered: bool | None = None
        error: str | None = None
        if rule["webhook_url"]:
            payload = {
                "deployment_id": deployment_id,
                "deployment": deployment.name,
                "rule_id": rule["id"],
                "kind": rule["kind"],
                "message": message,
                "details": details,
                "at": now.isoformat(),
            }
            try:
                send_webhook(rule["webhook_url"], payload, allow_private=allow_private)
                delivered = True
            except Exception as exc:  # stored with the alert; the next rule still runs
                delivered, error = False, str(exc)[:500]
                log.warning("alert webhook of rule %s failed: %s", rule["id"], exc)
        store.add_alert(
            rule["id"],
            deployment_id,
            message=message,
            details=details,
            delivered=delivered,
            delivery_error=error,
        )
        fired += 1
    return {"checked": checked, "fired": fired}
