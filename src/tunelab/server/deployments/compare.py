"""Comparing the versions behind a deployment's traffic from its prediction log."""

from collections import Counter
from typing import Any

import numpy as np

from tunelab.tracking import MetadataStore

AGREEMENT_SAMPLE = 500  # records of each other version re-predicted by the first route
REGRESSION_TOLERANCE = 0.05  # relative difference counted as agreement for regressors


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _distribution(predictions: list[Any], classification: bool) -> dict[str, Any]:
    if not predictions:
        return {}
    if classification:
        counts = Counter(str(p) for p in predictions)
        return {label: n / len(predictions) for label, n in sorted(counts.items())}
    values = np.asarray(predictions, dtype=float)
    return {
        "mean": float(values.mean()),
        "std": float(values.std()),
        "min": float(values.min()),
        "p50": float(np.median(values)),
        "max": float(values.max()),
    }


def _agreement(first: Any, records: list[dict[str, Any]], answers: list[Any]) -> float | None:
    """Share of ``answers`` the first route's model gives on the same records."""
    if not records:
        return None
    try:
        mine = first.predictor.predict(records)["predictions"]
    except Exception:  # records the first route cannot take (it changed meanwhile)
        return None
    if first.predictor.labels is not None:
        same = [str(a) == str(b) for a, b in zip(mine, answers, strict=True)]
    else:
        a, b = np.asarray(mine, dtype=float), np.asarray(answers, dtype=float)
        same = list(np.abs(a - b) <= REGRESSION_TOLERANCE * np.maximum(np.abs(a), 1e-9))
    return float(np.mean(same))


def compare_traffic(
    store: MetadataStore, plan: Any, deployment_id: str, *, limit: int = 5000
) -> dict[str, Any]:
    """Per answering version (label ``name/3``) over the newest ``limit`` logged predictions:
    role (route, shadow or past), request and row counts, latency p50/p95 (ms, per request),
    prediction distribution (class shares, or summary numbers), and agreement with the
    first route (it re-predicts up to ``AGREEMENT_SAMPLE`` of the version's rows)."""
    logged = store.list_predictions(deployment_id, limit=limit, shadow=None)
    first = plan.routes[0]
    classification = first.predictor.labels is not None
    roles = {r.label: "route" for r in plan.routes}
    roles.update({s.label: "shadow" for s in plan.shadows if s.label not in roles})
    groups: dict[str, list[Any]] = {label: [] for label in roles}
    for p in logged:
        groups.setdefault(p.model_ref or "unknown", []).append(p)
    versions = []
    for label, items in groups.items():
        latencies = [p.latency_ms for p in items]
        records = [r for p in items for r in p.inputs]
        answers = [a for p in items for a in p.outputs.get("predictions", [])]
        if label == first.label:
            agreement: float | None = 1.0 if answers else None
        else:
            n = min(AGREEMENT_SAMPLE, len(records), len(answers))
            agreement = _agreement(first, records[:n], answers[:n])
        versions.append(
            {
                "model": label,
                "role": roles.get(label, "past"),
                "requests": len(items),
                "rows": len(answers),
                "latency_p50_ms": _percentile(latencies, 0.5),
                "latency_p95_ms": _percentile(latencies, 0.95),
                "distribution": _distribution(answers, classification),
                "agreement_with_first": agreement,
            }
        )
    return {
        "deployment_id": deployment_id,
        "first_route": first.label,
        "task": first.predictor.bundle.task.value,
        "window": len(logged),
        "versions": versions,
    }
