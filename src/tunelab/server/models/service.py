"""What the model views and the model page share: evaluation state, plots, pipeline, bundle."""

import json
from pathlib import Path
from typing import Any

from tunelab.artifacts import ArtifactStore
from tunelab.entities.artifact_keys import (
    evaluation_key,
    evaluation_plot_key,
    evaluation_prefix,
    pipeline_key,
)
from tunelab.entities.platform import (
    ConflictError,
    Job,
    JobKind,
    JobStatus,
    Model,
    NotFoundError,
)
from tunelab.tracking import MetadataStore, jsonable

PIPELINE_FORMAT = 1
_ACTIVE = (JobStatus.QUEUED, JobStatus.RUNNING)


class EvaluationMissingError(ConflictError):
    """The evaluation was not computed yet (or is being computed, or failed)."""

    def __init__(self, model_id: str, state: dict[str, Any]) -> None:
        status = state["status"]
        if status in ("queued", "running"):
            text = f"the evaluation of model {model_id} is being computed (job {state['job_id']})"
        elif status == "failed":
            text = f"the evaluation of model {model_id} failed: {state['error']}"
        else:
            text = (
                f"the evaluation of model {model_id} is not computed yet: "
                f"POST /api/v1/models/{model_id}/evaluate"
            )
        super().__init__(text)
        self.state = state


def _read_json(artifacts: ArtifactStore, key: str) -> Any:
    return json.loads(artifacts.read_bytes(key))


def _job_of(store: MetadataStore, artifacts: ArtifactStore, prefix: str) -> Job | None:
    marker = f"{prefix}/job.json"
    if not artifacts.exists(marker):
        return None
    try:
        return store.get_job(str(_read_json(artifacts, marker)["job_id"]))
    except NotFoundError:
        return None


def evaluation_state(
    store: MetadataStore, artifacts: ArtifactStore, model_id: str, dataset_id: str | None = None
) -> dict[str, Any]:
    """``status`` (missing, queued, running, failed, ready), the job and the stored result.

    ``evaluation`` holds the last complete result even while a new one is computed.
    """
    store.get_model(model_id)
    prefix = evaluation_prefix(model_id, dataset_id)
    job = _job_of(store, artifacts, prefix)
    key = evaluation_key(model_id, dataset_id)
    document = _read_json(artifacts, key) if artifacts.exists(key) else None
    status = "ready" if document is not None else "missing"
    if job is not None and job.status in _ACTIVE:
        status = job.status.value
    elif job is not None and job.status in (JobStatus.FAILED, JobStatus.CANCELLED):
        status = "failed"  # the last attempt failed (an older result may still be shown)
    return {
        "status": status,
        "job_id": job.id if job else None,
        "error": job.error if job and status == "failed" else "",
        "evaluation": document,
    }


def read_evaluation(
    store: MetadataStore, artifacts: ArtifactStore, model_id: str, dataset_id: str | None = None
) -> dict[str, Any]:
    """The stored evaluation with its state; EvaluationMissingError (409) until computed."""
    state = evaluation_state(store, artifacts, model_id, dataset_id)
    document = state.pop("evaluation")
    if document is None:
        raise EvaluationMissingError(model_id, state)
    return {**document, "state": state}


def start_evaluation(
    store: MetadataStore,
    artifacts: ArtifactStore,
    model_id: str,
    dataset_id: str | None = None,
    target: str | None = None,
) -> Job:
    """Queue an evaluate job (or return the one already queued or running for it)."""
    store.get_model(model_id)
    if dataset_id is not None:
        store.get_dataset(dataset_id)
    prefix = evaluation_prefix(model_id, dataset_id)
    current = _job_of(store, artifacts, prefix)
    if current is not None and current.status in _ACTIVE:
        return current
    payload: dict[str, Any] = {"model_id": model_id}
    if dataset_id is not None:
        payload["dataset_id"] = dataset_id
    if target is not None:
        payload["target"] = target
    job = store.enqueue_job(JobKind.EVALUATE, payload)
    artifacts.put_bytes(f"{prefix}/job.json", json.dumps({"job_id": job.id}).encode())
    return job


def plot_names(document: dict[str, Any]) -> list[str]:
    return [str(name) for name in document.get("plots") or []]


def read_plot(
    store: MetadataStore,
    artifacts: ArtifactStore,
    model_id: str,
    name: str,
    dataset_id: str | None = None,
) -> bytes:
    """The Plotly figure JSON of one plot (NotFoundError naming the plots that exist)."""
    document = read_evaluation(store, artifacts, model_id, dataset_id)
    names = plot_names(document)
    if name not in names:
        raise NotFoundError(
            f"model {model_id} has no plot {name!r}; its plots: {', '.join(names) or 'none'}"
        )
    return artifacts.read_bytes(evaluation_plot_key(model_id, dataset_id, name))


def bundle_dir(artifacts: ArtifactStore, model: Model, cache_dir: Path) -> Path:
    """A local copy of the model's bundle folder (downloaded once per cache)."""
    return artifacts.cached_dir(model.uri, cache_dir / "bundles")


def read_manifest(artifacts: ArtifactStore, model: Model) -> dict[str, Any]:
    manifest: dict[str, Any] = _read_json(artifacts, f"{model.uri}/manifest.json")
    return manifest


def read_report(artifacts: ArtifactStore, model: Model) -> dict[str, Any] | None:
    key = f"{model.uri}/report/report.json"
    return _read_json(artifacts, key) if artifacts.exists(key) else None


def pipeline_view(
    store: MetadataStore, artifacts: ArtifactStore, model_id: str, cache_dir: Path
) -> dict[str, Any]:
    """The model's pipeline description (computed from the bundle once, then stored)."""
    from tunelab.bundles import load_bundle
    from tunelab.server.models.pipeline import describe_model

    model = store.get_model(model_id)
    key = pipeline_key(model_id)
    if artifacts.exists(key):
        cached: dict[str, Any] = _read_json(artifacts, key)
        if cached.get("format") == PIPELINE_FORMAT:
            return cached
    bundle = load_bundle(bundle_dir(artifacts, model, cache_dir))
    view = describe_model(bundle.model, bundle.manifest, read_report(artifacts, model))
    view = {"format": PIPELINE_FORMAT, "model_id": model_id, **jsonable(view)}
    artifacts.put_bytes(key, json.dumps(view).encode())
    return view


def example_record(manifest: dict[str, Any]) -> dict[str, Any]:
    """One plausible input row: each column's median or most frequent training value."""
    stats = manifest.get("reference_statistics") or {}
    record: dict[str, Any] = {}
    for column in manifest.get("input_schema") or []:
        name = column["name"]
        info = stats.get(name) or {}
        value: Any = None
        if info.get("quantiles"):
            value = info["quantiles"].get("0.5")
            if value is not None and str(column.get("dtype", "")).startswith(("int", "Int")):
                value = round(value)
        elif info.get("frequencies"):
            value = max(info["frequencies"].items(), key=lambda item: item[1])[0]
            if column.get("kind") == "boolean":
                value = value.lower() == "true"
        record[name] = value
    return record


def delete_evaluation(artifacts: ArtifactStore, model_id: str) -> None:
    artifacts.delete(evaluation_prefix(model_id))
