"""``/api/v1/deployments/{id}/traffic``: weighted routes, sticky keys and shadow references
of a deployment, and the comparison of the versions that answered."""

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from tunelab.entities.errors import ConfigError
from tunelab.server.deployments.compare import compare_traffic
from tunelab.server.deps import StoreDep

router = APIRouter(prefix="/deployments", tags=["deployments"])


class RouteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str = Field(description="name@alias or name/version")
    weight: float = Field(ge=0, description="Share = weight / sum of weights.")


class TrafficIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    routes: list[RouteIn] = Field(min_length=1)
    shadow: list[str] = Field(default_factory=list)
    sticky: bool = False


def _describe(table: Any, plan: Any, store: Any, deployment_id: str) -> dict[str, Any]:
    traffic = store.get_traffic(deployment_id)
    routes = traffic.routes if traffic else [{"model": plan.routes[0].reference, "weight": 100.0}]
    return {
        "deployment_id": deployment_id,
        "routes": [
            {**route, "serving": served.label}
            for route, served in zip(routes, plan.routes, strict=False)
        ],
        "shadow": [{"model": s.reference, "serving": s.label} for s in plan.shadows],
        "sticky": plan.sticky,
        "shadow_dropped": table.shadow.dropped,  # copies dropped because the queue was full
        "shadow_failed": table.shadow.failed,
    }


@router.get("/{deployment_id}/traffic")
def get_traffic(deployment_id: str, request: Request, store: StoreDep) -> Any:
    """The routes (with the version each serves now), shadows and stickiness."""
    traffic = request.app.state.traffic
    return _describe(traffic, traffic.plan(deployment_id), store, deployment_id)


@router.put("/{deployment_id}/traffic")
def set_traffic(deployment_id: str, body: TrafficIn, request: Request, store: StoreDep) -> Any:
    """Split traffic between registry references (A/B, canary 90/10), optionally sticky by
    the ``X-Request-Key`` header, with shadow references answering copies (logged, never
    returned). Every reference must exist and take the same task, columns and classes.
    The new plan is loaded before it replaces the old one: no request fails."""
    routes = [r.model_dump() for r in body.routes]
    if sum(r["weight"] for r in routes) <= 0:
        raise ConfigError("routes: weights must sum to more than 0")
    traffic = request.app.state.traffic
    plan = traffic.build(deployment_id, routes=routes, shadow=body.shadow, sticky=body.sticky)
    store.set_traffic(deployment_id, routes=routes, shadow=body.shadow, sticky=body.sticky)
    traffic.swap(plan)
    return _describe(traffic, plan, store, deployment_id)


@router.get("/{deployment_id}/traffic/compare")
def compare(deployment_id: str, request: Request, store: StoreDep, limit: int = 5000) -> Any:
    """Per version that answered (routes and shadows): count, latency p50/p95, prediction
    distribution, and agreement with the first route on the same inputs."""
    plan = request.app.state.traffic.plan(deployment_id)
    return compare_traffic(store, plan, deployment_id, limit=min(max(limit, 1), 20_000))
