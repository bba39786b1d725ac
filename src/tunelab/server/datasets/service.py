"""Shared dataset rules: accepted formats, recording a stored file and queueing its profile."""

import uuid
from pathlib import PurePosixPath

from tunelab.artifacts import ArtifactInfo, ArtifactStore
from tunelab.entities.artifact_keys import dataset_prefix
from tunelab.entities.platform import JobKind
from tunelab.server.errors import FieldError
from tunelab.tracking import MetadataStore


def new_dataset_id() -> str:
    return uuid.uuid4().hex


def check_format(filename: str, loc: list[str | int] | None = None) -> None:
    """422 naming the file when its extension is not a table format tunelab reads."""
    from tunelab.data import SUPPORTED_EXTENSIONS

    suffix = PurePosixPath(filename).suffix.lower()
    if suffix not in SUPPORTED_EXTENSIONS:
        known = ", ".join(sorted(SUPPORTED_EXTENSIONS))
        raise FieldError(
            loc or ["body", "file"],
            f"{filename!r}: unsupported file type {suffix or '(none)'!r}; use one of {known}",
            "unsupported_type",
        )


def refuse_non_table(
    artifacts: ArtifactStore, key: str, filename: str, loc: list[str | int] | None = None
) -> None:
    """422 in plain words when the stored file ``key`` is not a table by the rule of
    ``tunelab.data.check_table`` (its folder is then removed, nothing is recorded)."""
    from tunelab.data import HEAD_BYTES, check_table
    from tunelab.entities import DataError

    head = b""
    for piece in artifacts.iter_chunks(key):
        head += piece
        if len(head) >= HEAD_BYTES:
            break
    try:
        check_table(head[:HEAD_BYTES], filename)
    except DataError as exc:
        artifacts.delete(key.rsplit("/", 1)[0])
        raise FieldError(loc or ["body", "file"], str(exc), "not_a_table") from None


def register_dataset(
    store: MetadataStore,
    artifacts: ArtifactStore,
    *,
    dataset_id: str,
    name: str,
    source: str,
    info: ArtifactInfo,
) -> tuple[str, str]:
    """Record a stored file as a dataset and queue its parse+profile job.

    Returns ``(dataset_id, job_id)``. If recording fails the stored file is removed, so no
    orphan is left behind.
    """
    refuse_non_table(artifacts, info.key, name, ["body", "file"])
    try:
        store.add_dataset(
            id=dataset_id,
            name=name,
            source=source,
            uri=info.key,
            size_bytes=info.size,
            sha256=info.sha256,
        )
    except BaseException:
        artifacts.delete(dataset_prefix(dataset_id))
        raise
    job = store.enqueue_job(JobKind.PARSE_PROFILE, {"dataset_id": dataset_id})
    return dataset_id, job.id
