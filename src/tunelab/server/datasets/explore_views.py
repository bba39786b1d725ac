"""``/api/v1/datasets/{id}``: preview, recommendation, EDA figures and the file download."""

from pathlib import PurePosixPath
from typing import Any

from fastapi import APIRouter, Body, status
from fastapi.responses import Response, StreamingResponse

from tunelab.server.datasets import eda
from tunelab.server.datasets.column_settings import proposal, recommended
from tunelab.server.datasets.column_undo import apply_with_undo, undo
from tunelab.server.datasets.leakage import leakage_check
from tunelab.server.datasets.preview import preview_table
from tunelab.server.deps import ArtifactsDep, StoreDep
from tunelab.server.schemas import Created, EdaIn, PreviewOut

router = APIRouter(prefix="/datasets", tags=["datasets"])

_MEDIA_TYPES = {
    ".csv": "text/csv",
    ".tsv": "text/tab-separated-values",
    ".txt": "text/plain",
    ".parquet": "application/vnd.apache.parquet",
    ".xls": "application/vnd.ms-excel",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@router.get("/{dataset_id}/preview", response_model=PreviewOut)
def get_preview(dataset_id: str, store: StoreDep, artifacts: ArtifactsDep) -> Any:
    """The first and last 5 rows and the row count, read from the stored file."""
    return preview_table(artifacts, store.get_dataset(dataset_id))


@router.get("/{dataset_id}/recommendation")
def get_recommendation(
    dataset_id: str, store: StoreDep, target: str | None = None
) -> dict[str, Any]:
    """What ``POST .../recommend`` would change, nothing saved: ``changes`` lists
    ``{column, setting, current, proposed}``. 409 before the profile exists."""
    return {"changes": proposal(store.get_dataset(dataset_id), target)}


@router.post("/{dataset_id}/recommend")
def recommend_settings(
    dataset_id: str,
    store: StoreDep,
    artifacts: ArtifactsDep,
    body: EdaIn | None = Body(default=None),
) -> dict[str, Any]:
    """Apply the recommendation (``tunelab.preprocessing.recommend``) to every column's
    settings; other keys (the data dictionary) stay. ``POST .../column-settings/undo`` puts
    back what it changed.

    The optional ``target`` is left out of the features. 409 before the profile exists.
    """
    settings = recommended(store.get_dataset(dataset_id), body.target if body else None)
    return apply_with_undo(store, artifacts, dataset_id, settings)


@router.post("/{dataset_id}/column-settings/undo")
def undo_recommendation(dataset_id: str, store: StoreDep, artifacts: ArtifactsDep) -> Any:
    """Put back the settings the last applied recommendation changed (409 when none)."""
    return undo(store, artifacts, dataset_id)


@router.get("/{dataset_id}/dictionary")
def get_dictionary(dataset_id: str, store: StoreDep) -> dict[str, dict[str, str]]:
    """The data dictionary: ``{column: {description, meaning}}`` for the columns that have
    one. Edit it with ``PATCH .../column-settings`` (``{"col": {"description": "..."}}``)."""
    from tunelab.data import data_dictionary

    return data_dictionary(store.get_dataset(dataset_id).column_settings)


@router.get("/{dataset_id}/leakage")
def get_leakage(
    dataset_id: str,
    store: StoreDep,
    artifacts: ArtifactsDep,
    target: str,
    task: str | None = None,
) -> dict[str, Any]:
    """The leakage check for ``target`` before any run: columns that alone predict it
    almost perfectly (``columns``: column, score, metric, message), cached per target."""
    return leakage_check(store, artifacts, dataset_id, target, task)


@router.get("/{dataset_id}/file")
def download_file(dataset_id: str, store: StoreDep, artifacts: ArtifactsDep) -> Response:
    """The dataset's stored file, streamed in 1 MiB chunks."""
    dataset = store.get_dataset(dataset_id)
    size = artifacts.size(dataset.uri)
    name = PurePosixPath(dataset.uri).name
    suffix = PurePosixPath(name).suffix.lower()
    return StreamingResponse(
        artifacts.iter_chunks(dataset.uri),
        media_type=_MEDIA_TYPES.get(suffix, "application/octet-stream"),
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Content-Length": str(size),
        },
    )


@router.post("/{dataset_id}/eda", status_code=status.HTTP_202_ACCEPTED, response_model=Created)
def compute_eda(
    dataset_id: str,
    store: StoreDep,
    body: EdaIn | None = Body(default=None),
) -> Created:
    """Queue the EDA job (figures on a sample of at most 5,000 rows); answers its job id."""
    job_id = eda.queue_eda(store, dataset_id, body.target if body else None)
    return Created(id=dataset_id, job_id=job_id)


@router.get("/{dataset_id}/eda")
def get_eda(dataset_id: str, store: StoreDep, artifacts: ArtifactsDep) -> dict[str, Any]:
    """What the last EDA job computed (plots, columns, target, sample size); 409 if none."""
    store.get_dataset(dataset_id)
    return eda.manifest(artifacts, dataset_id)


@router.get("/{dataset_id}/eda/{plot}")
def get_eda_plot(
    dataset_id: str,
    plot: str,
    store: StoreDep,
    artifacts: ArtifactsDep,
    column: str | None = None,
    against: bool = False,
) -> Response:
    """One Plotly figure (JSON with ``data`` and ``layout``).

    Plots: ``correlation``, ``pairplot``, ``parallel_coordinates``, ``parallel_categories``
    and ``variable`` (with ``?column=NAME``; ``&against=true`` plots it against the
    target). 404 names an unknown plot or column; 409 until the EDA job has run.
    """
    store.get_dataset(dataset_id)
    return Response(
        eda.figure_json(artifacts, dataset_id, plot, column=column, against=against),
        media_type="application/json",
    )
