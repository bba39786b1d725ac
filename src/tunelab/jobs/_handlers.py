"""Job handlers for datasets and models: parse+profile, evaluate, deploy, batch predict."""

import tempfile
from pathlib import Path, PurePosixPath
from typing import Any

from tunelab.entities.errors import DataError
from tunelab.jobs._context import JobContext
from tunelab.tracking import jsonable


def _read_dataset(ctx: JobContext, dataset_id: str) -> Any:
    """The dataset's table as a DataFrame (downloaded to a temporary file first)."""
    from tunelab.data import read_table

    dataset = ctx.store.get_dataset(dataset_id)
    suffix = PurePosixPath(dataset.uri).suffix
    with tempfile.TemporaryDirectory(prefix="tunelab-job-") as tmp:
        local = ctx.artifacts.get_file(dataset.uri, Path(tmp) / f"table{suffix}")
        return read_table(local)


def _bundle_dir(ctx: JobContext, model_id: str) -> Path:
    model = ctx.store.get_model(model_id)
    return ctx.artifacts.cached_dir(model.uri, Path(tempfile.gettempdir()) / "tunelab-bundles")


def _inputs(bundle: Any, df: Any) -> Any:
    """The columns of ``df`` the model takes (a missing one is still reported by the bundle)."""
    names = {c.name for c in bundle.schema}
    return df[[c for c in df.columns if c in names]]


def parse_profile(ctx: JobContext) -> dict[str, Any]:
    """Read the uploaded file and store its row/column counts and profile."""
    from tunelab.data import profile_dataset

    dataset_id = ctx.require("dataset_id")
    ctx.emit("progress", {"step": "reading", "dataset_id": dataset_id})
    df = _read_dataset(ctx, dataset_id)
    ctx.check_cancelled()
    ctx.emit("progress", {"step": "profiling", "n_rows": len(df)})
    profile = profile_dataset(df)
    ctx.store.update_dataset(
        dataset_id, n_rows=len(df), n_columns=df.shape[1], profile=jsonable(profile)
    )
    return {"dataset_id": dataset_id, "n_rows": len(df), "n_columns": int(df.shape[1])}


def deploy(ctx: JobContext) -> dict[str, Any]:
    """Verify a model's bundle (checksums, trusted types) and deploy it."""
    from tunelab.bundles import load_bundle

    model_id = ctx.require("model_id")
    load_bundle(_bundle_dir(ctx, model_id))
    deployment = ctx.store.create_deployment(model_id, name=ctx.payload.get("name"))
    return {"deployment_id": deployment.id, "version": deployment.version}


def batch_predict(ctx: JobContext) -> dict[str, Any]:
    """Predict every row of a dataset with a deployment; the CSV lands in the artifacts."""
    from tunelab.bundles import load_bundle

    deployment = ctx.store.get_deployment(ctx.require("deployment_id"))
    bundle = load_bundle(_bundle_dir(ctx, deployment.model_id))
    df = _read_dataset(ctx, ctx.require("dataset_id"))
    ctx.check_cancelled()
    out = df.copy()
    out["prediction"] = bundle.predict(_inputs(bundle, df))
    if bundle.task.is_classification:
        proba = bundle.predict_proba(_inputs(bundle, df))
        for label in proba.columns:
            out[f"proba_{label}"] = proba[label].to_numpy()
    key = f"predictions/{ctx.job.id}.csv"
    with tempfile.TemporaryDirectory(prefix="tunelab-job-") as tmp:
        local = Path(tmp) / "predictions.csv"
        out.to_csv(local, index=False)
        info = ctx.artifacts.put_file(key, local)
    return {"key": key, "n_rows": len(out), "sha256": info.sha256}


def evaluate(ctx: JobContext) -> dict[str, Any]:
    """All metrics (with bootstrap intervals) and plot data of a model on a labelled dataset."""
    import numpy as np

    from tunelab.bundles import load_bundle
    from tunelab.evaluation import evaluate_predictions

    model_id = ctx.require("model_id")
    bundle = load_bundle(_bundle_dir(ctx, model_id))
    df = _read_dataset(ctx, ctx.require("dataset_id"))
    target = ctx.payload.get("target") or bundle.manifest.get("target")
    if target not in df.columns:
        raise DataError(f"target column {target!r} is not in the dataset")
    labelled = df[df[target].notna()]
    ctx.check_cancelled()
    if bundle.task.is_classification:
        classes = list(bundle.classes or [])
        index = {label: i for i, label in enumerate(classes)}
        unknown = sorted({str(v) for v in labelled[target] if v not in index})
        if unknown:
            raise DataError(f"target {target!r} holds labels the model never saw: {unknown}")
        y = np.array([index[v] for v in labelled[target]])
        proba = bundle.predict_proba(_inputs(bundle, labelled)).to_numpy()
        report = evaluate_predictions(bundle.task, None, y, proba=proba, classes=classes)
    else:
        y = labelled[target].to_numpy(dtype=float)
        y_pred = bundle.predict(_inputs(bundle, labelled))
        report = evaluate_predictions(bundle.task, None, y, y_pred=y_pred)
    return {"model_id": model_id, "n_rows": len(labelled), **jsonable(report)}
