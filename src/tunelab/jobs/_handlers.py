"""Job handlers for datasets and models: parse+profile, deploy, batch predict."""

import tempfile
from pathlib import Path, PurePosixPath
from typing import Any

from tunelab.entities.artifact_keys import predictions_key
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
    """Profile the uploaded file in bounded memory (``tunelab.data.profile_file``) and store
    its row/column counts and profile."""
    from tunelab.data import profile_file

    dataset_id = ctx.require("dataset_id")
    ctx.emit("progress", {"step": "profiling", "dataset_id": dataset_id})
    dataset = ctx.store.get_dataset(dataset_id)
    suffix = PurePosixPath(dataset.uri).suffix
    with tempfile.TemporaryDirectory(prefix="tunelab-job-") as tmp:
        local = ctx.artifacts.get_file(dataset.uri, Path(tmp) / f"table{suffix}")
        profile = profile_file(local)
    ctx.check_cancelled()
    n_rows, n_columns = profile.n_rows, profile.n_columns
    ctx.store.update_dataset(
        dataset_id, n_rows=n_rows, n_columns=n_columns, profile=jsonable(profile)
    )
    return {"dataset_id": dataset_id, "n_rows": n_rows, "n_columns": n_columns}


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
    key = predictions_key(ctx.job.id)
    with tempfile.TemporaryDirectory(prefix="tunelab-job-") as tmp:
        local = Path(tmp) / "predictions.csv"
        out.to_csv(local, index=False)
        info = ctx.artifacts.put_file(key, local)
    return {"key": key, "n_rows": len(out), "sha256": info.sha256}
