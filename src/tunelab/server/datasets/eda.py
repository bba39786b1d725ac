"""EDA results of a dataset: queue the job, read its manifest and figures (JSON artifacts)."""

import json
from typing import Any

from tunelab.artifacts import ArtifactStore
from tunelab.entities.artifact_keys import eda_manifest_key, eda_plot_key
from tunelab.entities.platform import ConflictError, Job, JobKind, NotFoundError
from tunelab.jobs import EDA_PLOTS
from tunelab.server.datasets.column_settings import profile_columns
from tunelab.server.errors import FieldError
from tunelab.tracking import MetadataStore


def queue_eda(store: MetadataStore, dataset_id: str, target: str | None) -> str:
    """Queue an ``eda`` job for the dataset (422 naming ``target`` if it is not a column)."""
    dataset = store.get_dataset(dataset_id)
    known = profile_columns(dataset)
    if target is not None and known and target not in known:
        raise FieldError(
            ["body", "target"], f"column {target!r} is not in the dataset", "value_error"
        )
    return store.enqueue_job(JobKind.EDA, {"dataset_id": dataset_id, "target": target}).id


def pending_job(store: MetadataStore, dataset_id: str) -> Job | None:
    """The newest EDA job of the dataset that has not ended yet, if any."""
    for job in store.list_jobs(kind=JobKind.EDA, limit=100):
        if job.payload.get("dataset_id") == dataset_id and not job.status.is_final:
            return job
    return None


def latest_job(store: MetadataStore, dataset_id: str) -> Job | None:
    """The newest EDA job of the dataset, whatever its state."""
    for job in store.list_jobs(kind=JobKind.EDA, limit=100):
        if job.payload.get("dataset_id") == dataset_id:
            return job
    return None


def manifest(artifacts: ArtifactStore, dataset_id: str) -> dict[str, Any]:
    """The last EDA result's manifest; 409 when EDA has not been computed."""
    try:
        return dict(json.loads(artifacts.read_bytes(eda_manifest_key(dataset_id))))
    except NotFoundError:
        raise ConflictError(
            f"EDA of dataset {dataset_id!r} is not computed yet: POST .../eda to compute it"
        ) from None


def has_result(artifacts: ArtifactStore, dataset_id: str) -> bool:
    return artifacts.exists(eda_manifest_key(dataset_id))


def figure_json(
    artifacts: ArtifactStore,
    dataset_id: str,
    plot: str,
    *,
    column: str | None = None,
    against: bool = False,
) -> bytes:
    """One stored figure's JSON. 404 names an unknown plot or column; 409 before EDA ran."""
    if plot not in EDA_PLOTS:
        raise NotFoundError(f"EDA plot {plot!r} does not exist; plots: {', '.join(EDA_PLOTS)}")
    info = manifest(artifacts, dataset_id)
    if plot != "variable":
        return artifacts.read_bytes(eda_plot_key(dataset_id, plot))
    if column is None:
        raise FieldError(["query", "column"], "the variable plot needs ?column=NAME", "missing")
    key = info.get("variables", {}).get(column)
    if key is None:
        raise NotFoundError(f"column {column!r} has no EDA figure in dataset {dataset_id!r}")
    pair = json.loads(artifacts.read_bytes(key))
    if against and pair.get("against") is None:
        raise ConflictError(
            f"EDA of dataset {dataset_id!r} was computed without a target"
            if info.get("target") is None
            else f"column {column!r} is the target {info['target']!r}"
        )
    return json.dumps(pair["against"] if against else pair["distribution"]).encode()
