"""``/api/v1/datasets``: other sources than an upload — S3 import and bundled samples."""

from typing import Any

from fastapi import APIRouter, status

from tunelab.server.datasets.importer import import_from_url
from tunelab.server.datasets.samples import create_sample_dataset, list_samples
from tunelab.server.deps import ArtifactsDep, SettingsDep, StoreDep
from tunelab.server.schemas import Created, ImportIn, SampleOut

router = APIRouter(prefix="/datasets", tags=["datasets"])


@router.post("/import", status_code=status.HTTP_201_CREATED, response_model=Created)
def import_dataset(
    body: ImportIn, store: StoreDep, artifacts: ArtifactsDep, settings: SettingsDep
) -> Created:
    """Copy a table from ``s3://bucket/key`` (streamed, size-limited) and queue its profile.

    The server connects only to the object store its administrator configured
    (``TUNELAB_OBJECT_STORE_OPTIONS``); ``storage_options`` may add credentials only
    (``key``, ``secret``, ``token``), anything else is a 422 naming the option.
    """
    dataset_id, job_id = import_from_url(
        store,
        artifacts,
        body.url,
        settings=settings,
        storage_options=body.storage_options,
        max_bytes=settings.max_upload_bytes,
    )
    return Created(id=dataset_id, job_id=job_id)


@router.get("/samples", response_model=list[SampleOut])
def get_samples() -> Any:
    """The sample datasets bundled with tunelab (name, title, task, target, size, licence)."""
    return list_samples()


@router.post("/samples/{name}", status_code=status.HTTP_201_CREATED, response_model=Created)
def create_from_sample(name: str, store: StoreDep, artifacts: ArtifactsDep) -> Created:
    """A new dataset from the bundled sample ``name`` (404 naming it when unknown)."""
    dataset_id, job_id = create_sample_dataset(store, artifacts, name)
    return Created(id=dataset_id, job_id=job_id)
