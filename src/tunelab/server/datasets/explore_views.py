"""``/api/v1/datasets/{id}``: preview, recommendation, EDA figures and the file download."""

from pathlib import PurePosixPath
from typing import Any

from fastapi import APIRouter, Body, status
from fastapi.responses import Response, StreamingResponse

from tunelab.server.datasets import eda
from tunelab.server.datasets.column_settings import recommended
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


@router.post("/{dataset_id}/recommend")
def recommend_settings(
    dataset_id: str,
    store: StoreDep,
    body: EdaIn | None = Body(default=None),
) -> dict[str, Any]:
    """Fill every column's settings from the profile (``tunelab.preprocessing.recommend``).

    The optional ``target`` is left out of the features. 409 before the profile exists.
    """
    dataset = store.get_dataset(dataset_id)
    settings = recommended(dataset, body.target if body else None)
    return store.update_dataset(dataset_id, column_settings=settings).column_settings


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
