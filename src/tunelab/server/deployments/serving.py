"""One prediction path for every protocol (native, Open Inference Protocol v2, MLflow
scoring): pick the route, answer (fast path inline, else in a thread), log which version
answered, and hand a copy to the shadow references."""

import secrets
import time
from dataclasses import dataclass
from typing import Any

from fastapi.concurrency import run_in_threadpool
from starlette.datastructures import State

from tunelab.entities.platform import DeploymentStatus, NotFoundError
from tunelab.server.deployments.routing import TrafficPlan
from tunelab.server.deployments.traffic import TrafficTable
from tunelab.server.predictor import Predictor, check_records
from tunelab.tracking import MetadataStore


@dataclass(frozen=True)
class Answer:
    out: dict[str, Any]  # {"predictions": [...], "probabilities"?: [...]}
    model: str  # the version that answered, "name/3"
    latency_ms: float
    predictor: Predictor
    explanations: list[dict[str, Any]] | None = None
    prediction_ids: list[str] | None = None


def prediction_ids(n: int, at: float) -> list[str]:
    """Ids of ``n`` predicted records: the time in hex milliseconds (so ids sort by time),
    a random part and the record's index."""
    prefix = f"{int(at * 1000):011x}-{secrets.token_hex(4)}"
    return [f"{prefix}-{i}" for i in range(n)]


async def plan_of(traffic: TrafficTable, deployment_id: str) -> TrafficPlan:
    found = traffic.loaded(deployment_id)
    return found if found is not None else await run_in_threadpool(traffic.plan, deployment_id)


async def answer(
    state: State,
    deployment_id: str,
    records: list[dict[str, Any]],
    *,
    key: str | None = None,
    explain: bool = False,
    method: str = "shap",
) -> Answer:
    """Predict ``records`` with the deployment's traffic (see ``TrafficPlan.choose``).

    A failed request is counted in the monitoring log (error rate) and re-raised."""
    try:
        return await _answer(
            state, deployment_id, records, key=key, explain=explain, method=method
        )
    except Exception:
        log = state.traffic.predictors.log
        if state.settings.store_predictions and log is not None:
            log.record(deployment_id, error=True)
        raise


async def _answer(
    state: State,
    deployment_id: str,
    records: list[dict[str, Any]],
    *,
    key: str | None = None,
    explain: bool = False,
    method: str = "shap",
) -> Answer:
    traffic: TrafficTable = state.traffic
    at = time.time()
    started = time.perf_counter()
    plan = await plan_of(traffic, deployment_id)
    route = plan.choose(key)
    predictor = route.predictor
    out = None
    if not explain and predictor.plan is not None:
        check_records(records, predictor.fields)
        out = predictor.fast_predict(records)
    explanations = None
    if out is None:
        out = await run_in_threadpool(predictor.predict, records)
        if explain:
            explanations = await run_in_threadpool(predictor.explain, records, method)
    latency_ms = (time.perf_counter() - started) * 1000.0
    log = traffic.predictors.log
    ids = prediction_ids(len(records), at)
    if state.settings.store_predictions and log is not None:
        log.record(
            deployment_id,
            inputs=records,
            outputs=out,
            latency_ms=latency_ms,
            explanation=None if explanations is None else {"rows": explanations},
            model=route.label,
            model_id=predictor.model_id,
            prediction_ids=ids,
            at=at,
            kinds=predictor.kinds,
        )
        traffic.mirror(plan, records)
    return Answer(out, route.label, latency_ms, predictor, explanations, ids)


def deployment_named(store: MetadataStore, name: str, traffic: TrafficTable | None = None) -> str:
    """The id of the newest active deployment called ``name`` (or with that id); with
    ``traffic``, a name whose deployment is loaded there is answered from memory (for up to
    ``NAME_SECONDS``) instead of a database query on the event loop for every request."""
    if traffic is not None and (known := traffic.named(name)) is not None:
        return known
    found = store.active_deployment_named(name)
    if found is None:
        raise NotFoundError(f"no active deployment named {name!r}")
    if found.status is not DeploymentStatus.ACTIVE:
        raise NotFoundError(f"deployment {name!r} is {found.status.value}")
    if traffic is not None:
        traffic.remember_name(name, found.id)
    return found.id
