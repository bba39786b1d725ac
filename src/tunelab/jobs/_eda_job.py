"""The EDA job: Plotly figures of a dataset (on a sample), stored as JSON artifacts.

Layout under ``datasets/<id>/eda/``: ``manifest.json`` (written last, so its presence
means a complete result), one ``<plot>.json`` per whole-table plot and
``variables/<n>.json`` (``{"distribution": fig, "against": fig | null}``) per column.
"""

import json
from datetime import UTC, datetime
from typing import Any

from tunelab.entities.artifact_keys import (
    eda_manifest_key,
    eda_plot_key,
    eda_prefix,
    eda_variable_key,
)
from tunelab.entities.columns import ColumnKind
from tunelab.entities.errors import DataError
from tunelab.jobs import _eda_figures as figs
from tunelab.jobs._context import JobContext
from tunelab.jobs._handlers import _read_dataset

TABLE_PLOTS = ("correlation", "pairplot", "parallel_coordinates", "parallel_categories")
EDA_PLOTS = (*TABLE_PLOTS, "variable")


def _kinds(ctx: JobContext, dataset_id: str, df: Any) -> dict[str, ColumnKind]:
    """Column kinds: the user's setting, else the profile's, else inferred from the data."""
    from tunelab.data import infer_column_kinds

    dataset = ctx.store.get_dataset(dataset_id)
    kinds = dict(infer_column_kinds(df))
    for col in (dataset.profile or {}).get("columns", []):
        if col.get("name") in kinds:
            kinds[col["name"]] = ColumnKind(col["kind"])
    for name, settings in dataset.column_settings.items():
        if name in kinds and settings.get("kind") in set(ColumnKind):
            kinds[name] = ColumnKind(settings["kind"])
    return kinds


def _task(frame: Any, target: str | None, given: str | None) -> str | None:
    from tunelab.data import infer_task

    if target is None:
        return None
    if given:
        return given
    return str(infer_task(frame[target]))


def build_figures(
    frame: Any, kinds: dict[str, ColumnKind], target: str | None, task: str | None, ctx: JobContext
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The whole-table figures and the per-column ones (checks for a stop in between)."""
    classification = task in ("binary", "multiclass")
    color: list[Any] = []
    labels: list[str] = []
    if target is not None:
        color, labels = figs.target_codes(frame[target], classification)
    numeric = figs.numeric_columns(kinds, target)
    table: dict[str, Any] = {}
    table["correlation"] = figs.correlation(
        frame,
        figs.rank_columns(frame, numeric, target, figs.MAX_CORR)
        + ([target] if target and task == "regression" else []),
    )
    ctx.check_cancelled()
    top = figs.rank_columns(frame, numeric, target, figs.MAX_PAIR)
    table["pairplot"] = figs.pairplot(frame, top, color, labels)
    ctx.check_cancelled()
    complete = frame.dropna(subset=top) if top else frame
    kept = frame.index.isin(complete.index)
    sub_color = [c for c, keep in zip(color, kept, strict=True) if keep] if color else []
    table["parallel_coordinates"] = figs.parallel_coordinates(
        complete, top, target, sub_color, labels
    )
    table["parallel_categories"] = figs.parallel_categories(
        frame, figs.category_columns(frame, kinds, target), target, classification
    )
    variables: dict[str, dict[str, Any]] = {}
    for n, (col, kind) in enumerate(kinds.items()):
        if n >= figs.MAX_VARIABLES:
            break
        if n % 10 == 0:
            ctx.check_cancelled()
        against = None
        if target is not None and col != target:
            against = figs.against_target(frame, col, kind, target, classification)
        variables[col] = {"distribution": figs.distribution(frame, col, kind), "against": against}
    return table, variables


def run_eda(ctx: JobContext) -> dict[str, Any]:
    """Compute the EDA figures of ``payload.dataset_id`` (optionally against ``target``)."""
    from tunelab.data import coerce_frame

    dataset_id = ctx.require("dataset_id")
    target = ctx.payload.get("target") or None
    ctx.emit("progress", {"step": "reading", "dataset_id": dataset_id})
    df = _read_dataset(ctx, dataset_id)
    if target is not None and target not in df.columns:
        raise DataError(f"target column {target!r} is not in dataset {dataset_id!r}")
    ctx.check_cancelled()
    kinds = _kinds(ctx, dataset_id, df)
    frame = coerce_frame(figs.sample_rows(df), kinds).reset_index(drop=True)
    if target is not None:
        frame = frame[frame[target].notna()].reset_index(drop=True)
    task = _task(frame, target, ctx.payload.get("task"))
    ctx.emit("progress", {"step": "plotting", "n_rows": len(frame), "n_columns": len(kinds)})
    table, variables = build_figures(frame, kinds, target, task, ctx)
    ctx.artifacts.delete(eda_prefix(dataset_id))
    for name, fig in table.items():
        ctx.artifacts.put_bytes(eda_plot_key(dataset_id, name), json.dumps(fig).encode())
    keys = {}
    for n, (col, pair) in enumerate(variables.items()):
        keys[col] = eda_variable_key(dataset_id, n)
        ctx.artifacts.put_bytes(keys[col], json.dumps(pair).encode())
    manifest = {
        "dataset_id": dataset_id,
        "job_id": ctx.job.id,
        "target": target,
        "task": task,
        "n_rows": len(df),
        "n_sampled": len(frame),
        "plots": list(EDA_PLOTS),
        "columns": [{"name": c, "kind": kinds[c].value} for c in variables],
        "variables": keys,
        "created_at": datetime.now(UTC).isoformat(),
    }
    ctx.artifacts.put_bytes(eda_manifest_key(dataset_id), json.dumps(manifest).encode())
    return {"dataset_id": dataset_id, "n_sampled": len(frame), "target": target, "task": task}
