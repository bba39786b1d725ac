"""``/api/v1/uploads``: chunked, resumable uploads checked by sha256 (large files)."""

from typing import Any

from fastapi import APIRouter, Request, status
from starlette.concurrency import run_in_threadpool

from tunelab.server.datasets import chunked
from tunelab.server.deps import ArtifactsDep, SettingsDep, StoreDep
from tunelab.server.schemas import Created, PathNumber, UploadIn, UploadStarted, UploadStatus
from tunelab.server.uploads import receive_body

router = APIRouter(prefix="/uploads", tags=["uploads"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=UploadStarted)
def start_upload(body: UploadIn, artifacts: ArtifactsDep, settings: SettingsDep) -> Any:
    """Announce a file (name, size, sha256); answers the upload id and the chunk size.

    Send chunk ``i`` (bytes ``i*chunk_size`` up to the next chunk) with ``PUT
    .../chunks/{i}``, in any order and again after an interruption, then ``POST
    .../complete``. Over ``TUNELAB_MAX_UPLOAD_BYTES`` answers 413 before anything is sent.
    """
    chunked.expire_idle_uploads(artifacts, settings.upload_idle_seconds)
    session = chunked.start_upload(
        artifacts,
        filename=body.filename,
        size=body.size,
        sha256=body.sha256,
        max_bytes=settings.max_upload_bytes,
        chunk_size=body.chunk_size,
    )
    return {
        "upload_id": session.upload_id,
        "chunk_size": session.chunk_size,
        "n_chunks": session.n_chunks,
    }


@router.get("/{upload_id}", response_model=UploadStatus)
def get_upload(upload_id: str, artifacts: ArtifactsDep, settings: SettingsDep) -> Any:
    """The upload's session and the chunks received so far (``received``), to resume."""
    return chunked.upload_status(artifacts, upload_id, settings.upload_idle_seconds)


@router.put(
    "/{upload_id}/chunks/{index}",
    openapi_extra={
        "requestBody": {
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
            "required": True,
        }
    },
)
async def put_chunk(
    upload_id: str,
    index: PathNumber,
    request: Request,
    artifacts: ArtifactsDep,
    settings: SettingsDep,
) -> dict[str, Any]:
    """Store chunk ``index`` (raw body, exactly its expected length; a resend replaces it)."""
    session = await run_in_threadpool(
        chunked.get_session, artifacts, upload_id, settings.upload_idle_seconds
    )
    length = session.chunk_length(index)
    info = await receive_body(
        request,
        artifacts,
        chunked.chunk_key(upload_id, index),
        max_bytes=length,
        expect_size=length,
        label=f"chunk {index}",
    )
    await run_in_threadpool(chunked.touch, artifacts, upload_id)
    return {"upload_id": upload_id, "index": index, "size": info.size, "sha256": info.sha256}


@router.post("/{upload_id}/complete", status_code=status.HTTP_201_CREATED, response_model=Created)
def complete_upload(
    upload_id: str, store: StoreDep, artifacts: ArtifactsDep, settings: SettingsDep
) -> Created:
    """Join the chunks into a dataset (sha256 verified) and queue its profile job.

    409 lists missing chunks (the upload is kept); a checksum mismatch is 422 and the
    upload is discarded.
    """
    dataset_id, job_id = chunked.complete_upload(
        store, artifacts, upload_id, settings.upload_idle_seconds
    )
    return Created(id=dataset_id, job_id=job_id)


@router.delete("/{upload_id}", status_code=status.HTTP_204_NO_CONTENT)
def abort_upload(upload_id: str, artifacts: ArtifactsDep) -> None:
    """Give up an upload: its session and chunks are removed."""
    chunked.abort_upload(artifacts, upload_id)
