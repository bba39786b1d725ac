"""Import a table from an object-store URL (``s3://bucket/key.csv``), streamed, size-limited."""

from pathlib import PurePosixPath
from typing import Any

from tunelab.artifacts import ArtifactStore
from tunelab.entities.artifact_keys import dataset_file_key
from tunelab.entities.platform import ArtifactTooLargeError
from tunelab.server.config import ServerSettings
from tunelab.server.datasets.service import (
    check_format,
    new_dataset_id,
    register_dataset,
)
from tunelab.server.errors import FieldError
from tunelab.server.object_store import (
    check_object_url,
    missing_credentials,
    no_credentials,
    request_options,
    unreachable,
)
from tunelab.server.uploads import safe_filename
from tunelab.tracking import MetadataStore

_CHUNK = 1024 * 1024


def import_from_url(
    store: MetadataStore,
    artifacts: ArtifactStore,
    url: str,
    *,
    settings: ServerSettings,
    storage_options: dict[str, Any] | None = None,
    max_bytes: int,
) -> tuple[str, str]:
    """Copy the file at ``url`` into the artifact store as a new dataset, in 1 MiB chunks.

    Connects only where the administrator configured (see :mod:`tunelab.server.object_store`);
    ``storage_options`` may carry credentials only. Returns ``(dataset_id, job_id)``. A file
    over ``max_bytes`` is refused before copying (413); an unreadable URL is a 422 naming it.
    """
    import fsspec

    options = request_options(storage_options, settings)
    url = check_object_url(url, settings, "path/file.csv")
    filename = safe_filename(PurePosixPath(url.split("?", 1)[0]).name)
    check_format(filename, ["body", "url"])
    try:
        fs, path = fsspec.core.url_to_fs(url, **options)
        size = int(fs.size(path))
    except FileNotFoundError as exc:
        raise FieldError(["body", "url"], f"{url!r} does not exist", "not_found") from exc
    except Exception as exc:
        if no_credentials(exc):
            raise missing_credentials(url) from None
        raise unreachable(url, "read") from None
    if size > max_bytes:
        raise ArtifactTooLargeError(f"{url} has {size} bytes, over the limit of {max_bytes}")
    if size == 0:
        raise FieldError(["body", "url"], f"{url!r} is empty", "empty")
    dataset_id = new_dataset_id()
    key = dataset_file_key(dataset_id, filename)
    try:
        with fs.open(path, "rb") as source:
            info = artifacts.put_stream(
                key, iter(lambda: source.read(_CHUNK), b""), max_bytes=max_bytes
            )
    except ArtifactTooLargeError:
        raise
    except OSError as exc:
        if no_credentials(exc):
            raise missing_credentials(url) from None
        raise unreachable(url, "read") from None
    return register_dataset(
        store, artifacts, dataset_id=dataset_id, name=filename, source=url, info=info
    )
