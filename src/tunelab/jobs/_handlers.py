"""Job handlers for datasets and models: parse+profile, deploy, batch predict."""

import tempfile
from pathlib import Path, PurePosixPath
from typing import Any

from tunelab.entities.artifact_keys import predictions_key
from tunelab.jobs._context import JobContext
from tunelab.tracking import jsonable

MAX_CLASS_CODES = 20  # tunelab.data.infer_task: more distinct numbers are a regression target


def _read_dataset(ctx: JobContext, dataset_id: str) -> Any:
    """The dataset's table as a DataFrame (downloaded to a temporary file first)."""
    from tunelab.data import read_table

    dataset = ctx.store.get_dataset(dataset_id)
    with tempfile.TemporaryDirectory(prefix="tunelab-job-") as tmp:
        local = ctx.artifacts.get_file(dataset.uri, Path(tmp) / PurePosixPath(dataset.uri).name)
        return read_table(local)


def _bundle_dir(ctx: JobContext, model_id: str) -> Path:
    model = ctx.store.get_model(model_id)
    return ctx.artifacts.cached_dir(model.uri, Path(tempfile.gettempdir()) / "tunelab-bundles")


def _inputs(bundle: Any, df: Any) -> Any:
    """The columns of ``df`` the model takes (a missing one is still reported by the bundle)."""
    names = {c.name for c in bundle.schema}
    return df[[c for c in df.columns if c in names]]


class _NumericTargets:
    """For numeric columns with few distinct values (possible class codes): the task the
    engine infers and the rows per value, counted exactly over every chunk, so the web process
    never reads the data for them."""

    def __init__(self) -> None:
        self.counts: dict[str, Any] = {}  # column -> pd.Series of counts, None once too many

    def add(self, chunk: Any) -> None:
        import pandas as pd

        for name in chunk.columns:
            column = chunk[name]
            key = str(name)
            if self.counts.get(key, 0) is None:
                continue
            if pd.api.types.is_bool_dtype(column.dtype) or not pd.api.types.is_numeric_dtype(
                column.dtype
            ):
                self.counts[key] = None
                continue
            counts = column.dropna().value_counts()
            previous = self.counts.get(key)
            merged = counts if previous is None else previous.add(counts, fill_value=0)
            self.counts[key] = None if len(merged) > MAX_CLASS_CODES else merged

    def result(self) -> dict[str, dict[str, Any]]:
        import pandas as pd

        from tunelab.data import infer_task

        out: dict[str, dict[str, Any]] = {}
        for name, counts in self.counts.items():
            if counts is None or counts.empty:
                continue
            counts = counts.astype(int).sort_values(ascending=False, kind="stable")
            # counts capped at 1,000 keep infer_task's answer (its "few values" test needs
            # 20 rows per value at most) without rebuilding a column of every row
            values = pd.Series(counts.index.repeat(counts.clip(upper=1000).to_numpy()), name=name)
            labels = [str(int(v)) if float(v).is_integer() else str(v) for v in counts.index]
            out[name] = {
                "task": str(infer_task(values)),
                "counts": dict(zip(labels, map(int, counts.to_numpy()), strict=True)),
            }
        return out


def parse_profile(ctx: JobContext) -> dict[str, Any]:
    """Profile the uploaded file in bounded memory (``tunelab.data.profile_file``) and store
    its row/column counts and profile."""
    from tunelab.data import profile_file

    dataset_id = ctx.require("dataset_id")
    ctx.emit("progress", {"step": "profiling", "dataset_id": dataset_id})
    dataset = ctx.store.get_dataset(dataset_id)
    with tempfile.TemporaryDirectory(prefix="tunelab-job-") as tmp:
        local = ctx.artifacts.get_file(dataset.uri, Path(tmp) / PurePosixPath(dataset.uri).name)
        targets = _NumericTargets()
        profile = profile_file(local, on_chunk=targets.add)
    ctx.check_cancelled()
    n_rows, n_columns = profile.n_rows, profile.n_columns
    stored = jsonable(profile)
    stored["targets"] = targets.result()
    ctx.store.update_dataset(dataset_id, n_rows=n_rows, n_columns=n_columns, profile=stored)
    return {"dataset_id": dataset_id, "n_rows": n_rows, "n_columns": n_columns}


def deploy(ctx: JobContext) -> dict[str, Any]:
    """Verify a model's bundle (checksums, trusted types) and deploy it."""
    from tunelab.bundles import load_bundle

    model_id = ctx.require("model_id")
    load_bundle(_bundle_dir(ctx, model_id))
    deployment = ctx.store.create_deployment(model_id, name=ctx.payload.get("name"))
    return {"deployment_id": deployment.id, "version": deployment.version}


BATCH_CHUNK = 5_000  # rows predicted between two progress events


def batch_predict(ctx: JobContext) -> dict[str, Any]:
    """Predict every row of a dataset with a deployment, chunk by chunk (a ``progress``
    event with ``done``/``total`` rows after each); the table lands in the artifacts as CSV
    and Parquet (the input columns, ``prediction`` and one ``proba_<label>`` per class)."""
    import pandas as pd

    from tunelab.bundles import load_bundle

    deployment = ctx.store.get_deployment(ctx.require("deployment_id"))
    ctx.set_step("loading the model")
    bundle = load_bundle(_bundle_dir(ctx, deployment.model_id))
    ctx.set_step("reading")
    df = _read_dataset(ctx, ctx.require("dataset_id"))
    ctx.check_cancelled()
    total = len(df)
    ctx.emit("progress", {"step": "predicting", "done": 0, "total": total})
    parts = []
    for start in range(0, max(total, 1), BATCH_CHUNK):
        chunk = df.iloc[start : start + BATCH_CHUNK]
        out = chunk.copy()
        inputs = _inputs(bundle, chunk)
        if not bundle.task.is_supervised:  # clustering: the columns `tunelab predict` writes
            from tunelab.clustering import cluster_assignments

            found = cluster_assignments(bundle.model, bundle.validate(inputs))
            for column in found.columns:
                out[column] = found[column].to_numpy()
        else:
            out["prediction"] = bundle.predict(inputs)
        if bundle.task.is_classification:
            proba = bundle.predict_proba(inputs)
            for label in proba.columns:
                out[f"proba_{label}"] = proba[label].to_numpy()
        parts.append(out)
        ctx.check_cancelled()
        done = min(start + BATCH_CHUNK, total)
        ctx.emit("progress", {"step": "predicting", "done": done, "total": total})
    out = pd.concat(parts) if parts else df.copy()
    ctx.set_step("writing")
    key = predictions_key(ctx.job.id)
    parquet_key = predictions_key(ctx.job.id, "parquet")
    with tempfile.TemporaryDirectory(prefix="tunelab-job-") as tmp:
        local = Path(tmp) / "predictions.csv"
        out.to_csv(local, index=False)
        info = ctx.artifacts.put_file(key, local)
        table = Path(tmp) / "predictions.parquet"
        frame = out.copy()
        frame.columns = [str(c) for c in frame.columns]
        for name in frame.columns:  # mixed object columns would not convert to Arrow
            if frame[name].dtype == object:
                frame[name] = frame[name].map(lambda v: v if v is None or pd.isna(v) else str(v))
        frame.to_parquet(table, index=False)
        ctx.artifacts.put_file(parquet_key, table)
    return {
        "key": key,
        "parquet_key": parquet_key,
        "n_rows": len(out),
        "sha256": info.sha256,
        "deployment_id": deployment.id,
    }
