"""``/api/v1/datasets``: streamed upload, listing, profile, column settings, delete."""

import uuid
from typing import Any

from fastapi import APIRouter, Request, status
from starlette.concurrency import run_in_threadpool

from tunelab.entities.artifact_keys import dataset_file_key, dataset_prefix
from tunelab.entities.platform import ConflictError, JobKind
from tunelab.server.datasets.column_settings import merge_changes
from tunelab.server.datasets.service import check_format, refuse_non_table
from tunelab.server.deps import ArtifactsDep, SettingsDep, StoreDep
from tunelab.server.schemas import Created, DatasetOut, Limit, Offset, Page
from tunelab.server.uploads import receive_file

router = APIRouter(prefix="/datasets", tags=["datasets"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=Created,
    openapi_extra={
        "requestBody": {
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "properties": {"file": {"type": "string", "format": "binary"}},
                    }
                }
            },
            "required": True,
        }
    },
)
async def upload_dataset(
    request: Request, store: StoreDep, artifacts: ArtifactsDep, settings: SettingsDep
) -> Created:
    """Upload a table (multipart field ``file``), streamed to the artifact store.

    Over ``TUNELAB_MAX_UPLOAD_BYTES`` answers 413 and keeps nothing. A ``parse_profile``
    job is queued; its id is returned as ``job_id``.
    """
    dataset_id = uuid.uuid4().hex

    def key_for(filename: str) -> str:
        check_format(filename)
        return dataset_file_key(dataset_id, filename)

    info, filename = await receive_file(
        request, artifacts, key_for=key_for, max_bytes=settings.max_upload_bytes
    )

    await run_in_threadpool(refuse_non_table, artifacts, info.key, filename)

    def record() -> None:
        store.add_dataset(
            id=dataset_id,
            name=filename,
            source="upload",
            uri=info.key,
            size_bytes=info.size,
            sha256=info.sha256,
        )

    try:
        await run_in_threadpool(record)
    except BaseException:
        await run_in_threadpool(artifacts.delete, dataset_prefix(dataset_id))
        raise
    job = await run_in_threadpool(
        store.enqueue_job, JobKind.PARSE_PROFILE, {"dataset_id": dataset_id}
    )
    return Created(id=dataset_id, job_id=job.id)


@router.get("", response_model=Page[DatasetOut])
def list_datasets(store: StoreDep, limit: Limit = 50, offset: Offset = 0) -> Any:
    """Datasets, newest first (``?limit=10`` gives the recent files)."""
    return {
        "items": store.list_datasets(limit=limit, offset=offset),
        "limit": limit,
        "offset": offset,
    }


@router.get("/{dataset_id}", response_model=DatasetOut)
def get_dataset(dataset_id: str, store: StoreDep) -> Any:
    return store.get_dataset(dataset_id)


@router.get("/{dataset_id}/profile")
def get_profile(dataset_id: str, store: StoreDep) -> dict[str, Any]:
    """The column profile; 409 while the parse+profile job has not finished."""
    dataset = store.get_dataset(dataset_id)
    if dataset.profile is None:
        raise ConflictError(f"dataset {dataset_id!r} is not profiled yet")
    return dataset.profile


@router.get("/{dataset_id}/column-settings")
def get_column_settings(dataset_id: str, store: StoreDep) -> dict[str, Any]:
    return store.get_dataset(dataset_id).column_settings


@router.patch("/{dataset_id}/column-settings")
def patch_column_settings(
    dataset_id: str, changes: dict[str, dict[str, Any]], store: StoreDep
) -> dict[str, Any]:
    """Merge per-column settings (``{column: {setting: value}}``) into the stored ones.

    Settings are ``use``, ``kind``, ``imputation``, ``fill_value``, ``outliers``,
    ``transformation``, ``encoding``; a value the preprocessing refuses (e.g. a mean
    imputation of a categorical column) or an unknown column is a 422 naming it.
    """
    dataset = store.get_dataset(dataset_id)
    merged = merge_changes(dataset, changes)
    return store.update_dataset(dataset_id, column_settings=merged).column_settings


@router.delete("/{dataset_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_dataset(dataset_id: str, store: StoreDep, artifacts: ArtifactsDep) -> None:
    """Delete a dataset no experiment uses (409 otherwise), with its stored file."""
    store.delete_dataset(dataset_id)
    artifacts.delete(dataset_prefix(dataset_id))
