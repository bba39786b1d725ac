"""The ``retrain`` job: the champion's experiment settings on new data, the result
registered as a new version with alias ``challenger``, both models scored on the same
held-back rows (the new run's test part) with 95% intervals; promoted only when the user
opted in and the challenger beats the champion by the minimum improvement."""

from typing import Any

import numpy as np

from tunelab.entities.errors import DataError
from tunelab.jobs._automl_job import run_automl
from tunelab.jobs._context import JobContext
from tunelab.jobs._evaluate_job import _read_part, _Scorer, _split_keys
from tunelab.jobs._handlers import _bundle_dir

CHALLENGER, CHAMPION = "challenger", "champion"


def _score(ctx: JobContext, model_id: str, rows: Any, target: str) -> dict[str, Any]:
    from tunelab.bundles import load_bundle

    bundle = load_bundle(_bundle_dir(ctx, model_id))
    scorer = _Scorer(bundle, target, seed=0)
    _, y, pred = scorer.truth_and_prediction(rows, "held-back rows")
    metrics = scorer.score(y, pred, curves=False)["metrics"]
    return {"model_id": model_id, "rows": len(y), "metrics": metrics}


def compare(
    ctx: JobContext, champion_id: str, challenger_id: str, experiment_id: str, metric: str
) -> dict[str, Any]:
    """Both models' metrics (with intervals) on the new run's test rows, and the challenger's
    improvement in ``metric`` (positive: better, whatever the metric's direction)."""
    experiment = ctx.store.get_experiment(experiment_id)
    keys = _split_keys(ctx, experiment_id, ctx.store.latest_run_number(experiment_id))
    part = "test" if "test" in keys else "valid"
    if part not in keys:
        raise DataError("the new experiment held back no rows to compare the models on")
    rows = _read_part(ctx, keys[part])
    champion = _score(ctx, champion_id, rows, experiment.target)
    challenger = _score(ctx, challenger_id, rows, experiment.target)
    improvement = None
    a, b = champion["metrics"].get(metric), challenger["metrics"].get(metric)
    if a and b and a.get("value") is not None and b.get("value") is not None:
        sign = 1.0 if b.get("greater_is_better", True) else -1.0
        improvement = float(sign * (b["value"] - a["value"]))
        if not np.isfinite(improvement):
            improvement = None
    return {
        "part": part,
        "n_rows": challenger["rows"],
        "metric": metric,
        "champion": champion,
        "challenger": challenger,
        "improvement": improvement,
    }


def run_retrain(ctx: JobContext) -> dict[str, Any]:
    """Run the new experiment (as ``run_automl``), then register, compare, maybe promote."""
    payload = ctx.payload
    result = run_automl(ctx)
    if result.get("released"):
        return result
    store = ctx.store
    name = str(payload["name"])
    challenger_id = str(result["model_id"])
    version = store.add_model_version(
        name,
        challenger_id,
        tags={"retrained_for": str(payload["deployment_id"]), "from": str(payload["champion"])},
    )
    store.set_alias(name, CHALLENGER, version.version, actor="retrain")
    ctx.set_step("comparing")
    experiment = store.get_experiment(result["experiment_id"])
    metric = str(experiment.metric or "")
    comparison = compare(
        ctx, str(payload["champion_model_id"]), challenger_id, experiment.id, metric
    )
    promoted = False
    minimum = float(payload.get("min_improvement") or 0.0)
    gain = comparison["improvement"]
    if payload.get("auto_promote") and gain is not None and gain >= minimum:
        store.set_alias(name, CHAMPION, version.version, actor="retrain (automatic)")
        promoted = True
    return {
        **result,
        "deployment_id": payload["deployment_id"],
        "name": name,
        "version": version.version,
        "challenger": f"{name}/{version.version}",
        "champion": payload["champion"],
        "comparison": comparison,
        "promoted": promoted,
        **({"training_rows": payload["training_rows"]} if "training_rows" in payload else {}),
    }
