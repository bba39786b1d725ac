"""``/api/v1/deployments/{id}``: alert rules (dataset drift, a column's drift, a metric
below a value, error rate, p95 latency), the alerts they raised, and a check run now."""

from typing import Any

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field

from tunelab.entities.platform import JobKind
from tunelab.jobs import RULE_KINDS
from tunelab.server.deps import SettingsDep, StoreDep
from tunelab.server.monitoring import service
from tunelab.server.monitoring.schedule import monitor_payload
from tunelab.server.schemas import Created, Limit

router = APIRouter(prefix="/deployments", tags=["monitoring"])


class RuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str = Field(description=f"One of {', '.join(RULE_KINDS)}")
    params: dict[str, Any] = Field(
        default_factory=dict,
        description="column (column_drift), metric and value (metric_below), value "
        "(error_rate: a share; latency_p95: ms); optional window_hours (24) and "
        "cooldown_minutes (60)",
    )
    webhook_url: str | None = Field(default=None, max_length=2000)


@router.get("/{deployment_id}/alert-rules")
def list_rules(deployment_id: str, store: StoreDep) -> Any:
    store.get_deployment(deployment_id)
    return {"items": store.list_alert_rules(deployment_id)}


@router.post("/{deployment_id}/alert-rules", status_code=status.HTTP_201_CREATED)
def add_rule(deployment_id: str, body: RuleIn, store: StoreDep, settings: SettingsDep) -> Any:
    """Add a rule; a webhook URL must be http(s) and, unless the administrator allowed
    private addresses, resolve to public ones only."""
    service.check_rule(body.kind, body.params, body.webhook_url, settings.webhook_allow_private)
    return store.add_alert_rule(
        deployment_id, kind=body.kind, params=body.params, webhook_url=body.webhook_url or None
    )


@router.delete("/{deployment_id}/alert-rules/{rule_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_rule(deployment_id: str, rule_id: str, store: StoreDep) -> None:
    store.delete_alert_rule(deployment_id, rule_id)


@router.get("/{deployment_id}/alerts")
def list_alerts(deployment_id: str, store: StoreDep, limit: Limit = 50) -> Any:
    """The alerts raised, newest first, with whether the webhook took them."""
    return {"items": store.list_alerts(deployment_id, limit=limit)}


@router.post(
    "/{deployment_id}/alerts/check", status_code=status.HTTP_202_ACCEPTED, response_model=Created
)
def check_now(deployment_id: str, store: StoreDep, settings: SettingsDep) -> Created:
    """Queue a ``monitor`` job evaluating this deployment's rules now."""
    store.get_deployment(deployment_id)
    job = store.enqueue_job(
        JobKind.MONITOR, monitor_payload(settings, deployment_id), max_attempts=1
    )
    return Created(id=job.id, job_id=job.id)
