"""Job handlers for datasets and models: parse+profile, deploy, batch predict."""

import tempfile
from pathlib import Path, PurePosixPath
from typing import Any

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
    ctx.set_step("loading the model")
    bundle = load_bundle(_bundle_dir(ctx, deployment.model_id))
    ctx.set_step("reading")
    df = _read_dataset(ctx, ctx.require("dataset_id"))
    ctx.check_cancelled()
    ctx.set_step("predicting")
    out = df.copy()
    out["prediction"] = bundle.predict(_inputs(bundle, df))
    if bundle.task.is_classification:
        proba = bundle.predict_proba(_inputs(bundle, df))
        for label in proba.columns:
            out[f"proba_{label}"] = proba[label].to_numpy()
    ctx.set_step("writing")
    key = f"predictions/{ctx.job.id}.csv"
    with tempfile.TemporaryDirectory(prefix="tunelab-job-") as tmp:
        local = Path(tmp) / "predictions.csv"
        out.to_csv(local, index=False)
        info = ctx.artifacts.put_file(key, local)
    return {"key": key, "n_rows": len(out), "sha256": info.sha256}
