"""Import a table from an object-store URL (``s3://bucket/key.csv``), streamed, size-limited."""

from pathlib import PurePosixPath
from typing import Any

from tunelab.artifacts import ArtifactStore
from tunelab.entities.artifact_keys import dataset_file_key
from tunelab.entities.platform import ArtifactTooLargeError
from tunelab.server.datasets.service import (
    check_format,
    new_dataset_id,
    register_dataset,
)
from tunelab.server.errors import FieldError
from tunelab.server.uploads import safe_filename
from tunelab.tracking import MetadataStore

SCHEMES = ("s3://", "s3a://")
# s3fs options a caller may pass; anything else (e.g. a local "file" protocol) is refused
ALLOWED_OPTIONS = frozenset({"key", "secret", "token", "anon", "endpoint_url", "client_kwargs"})
_CHUNK = 1024 * 1024


def _check_url(url: str, options: dict[str, Any]) -> None:
    if not url.startswith(SCHEMES) or len(url.split("/", 3)) < 4:
        raise FieldError(
            ["body", "url"],
            f"{url!r} is not an object URL; use s3://bucket/path/file.csv",
            "value_error",
        )
    unknown = sorted(set(options) - ALLOWED_OPTIONS)
    if unknown:
        allowed = ", ".join(sorted(ALLOWED_OPTIONS))
        raise FieldError(
            ["body", "storage_options", unknown[0]],
            f"storage option {unknown[0]!r} is not accepted; use any of {allowed}",
            "value_error",
        )


def import_from_url(
    store: MetadataStore,
    artifacts: ArtifactStore,
    url: str,
    *,
    storage_options: dict[str, Any] | None = None,
    max_bytes: int,
) -> tuple[str, str]:
    """Copy the file at ``url`` into the artifact store as a new dataset, in 1 MiB chunks.

    Returns ``(dataset_id, job_id)``. A file over ``max_bytes`` is refused before copying
    (413); an unreadable URL is a 422 naming it.
    """
    import fsspec

    options = dict(storage_options or {})
    _check_url(url, options)
    filename = safe_filename(PurePosixPath(url.split("?", 1)[0]).name)
    check_format(filename, ["body", "url"])
    try:
        fs, path = fsspec.core.url_to_fs(url, **options)
        size = int(fs.size(path))
    except FileNotFoundError as exc:
        raise FieldError(["body", "url"], f"{url!r} does not exist", "not_found") from exc
    except Exception as exc:
        raise FieldError(["body", "url"], f"cannot read {url!r}: {exc}", "value_error") from exc
    if size > max_bytes:
        raise ArtifactTooLargeError(f"{url} has {size} bytes, over the limit of {max_bytes}")
    if size == 0:
        raise FieldError(["body", "url"], f"{url!r} is empty", "empty")
    dataset_id = new_dataset_id()
    key = dataset_file_key(dataset_id, filename)
    with fs.open(path, "rb") as source:
        info = artifacts.put_stream(
            key, iter(lambda: source.read(_CHUNK), b""), max_bytes=max_bytes
        )
    return register_dataset(
        store, artifacts, dataset_id=dataset_id, name=filename, source=url, info=info
    )
