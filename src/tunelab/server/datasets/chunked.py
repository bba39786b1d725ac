"""Chunked, resumable uploads: a session, its chunks as artifacts, then one checked file.

Layout in the artifact store (so it works the same on a local folder and on S3)::

    uploads/<upload_id>/session.json      filename, size, sha256, chunk_size, created_at
    uploads/<upload_id>/active            time of the last received chunk
    uploads/<upload_id>/chunks/00000007   one file per received chunk

A session idle for longer than ``TUNELAB_UPLOAD_IDLE_SECONDS`` (a day by default) expires:
it answers 404 and its files are removed (also swept whenever a new upload starts).

``complete`` streams the chunks in order into ``datasets/<id>/<filename>`` while hashing;
the dataset appears only when every chunk is there and the sha256 matches.
"""

import json
import math
import re
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from tunelab.artifacts import ArtifactInfo, ArtifactStore
from tunelab.entities.artifact_keys import dataset_file_key, upload_prefix
from tunelab.entities.platform import ArtifactTooLargeError, ConflictError, NotFoundError
from tunelab.server.datasets.service import (
    check_format,
    new_dataset_id,
    register_dataset,
)
from tunelab.server.errors import FieldError
from tunelab.server.uploads import safe_filename
from tunelab.tracking import MetadataStore

DEFAULT_CHUNK_SIZE = 8 * 1024 * 1024
MIN_CHUNK_SIZE = 1024
MAX_CHUNK_SIZE = 64 * 1024 * 1024
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_UPLOAD_ID = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True)
class UploadSession:
    """What the client announced when it started the upload."""

    upload_id: str
    filename: str
    size: int
    sha256: str
    chunk_size: int
    created_at: str

    @property
    def n_chunks(self) -> int:
        return math.ceil(self.size / self.chunk_size)

    def chunk_length(self, index: int) -> int:
        """The exact byte count chunk ``index`` must have (the last one may be shorter)."""
        if not 0 <= index < self.n_chunks:
            raise FieldError(
                ["path", "index"],
                f"chunk {index} is out of range: this upload has chunks 0..{self.n_chunks - 1}",
                "value_error",
            )
        return min(self.chunk_size, self.size - index * self.chunk_size)


def chunk_key(upload_id: str, index: int) -> str:
    return f"{upload_prefix(upload_id)}/chunks/{index:08d}"


def start_upload(
    artifacts: ArtifactStore,
    *,
    filename: str,
    size: int,
    sha256: str,
    max_bytes: int,
    chunk_size: int | None = None,
) -> UploadSession:
    """Open an upload session; 413 when ``size`` is over ``max_bytes`` (nothing stored)."""
    name = safe_filename(filename)
    check_format(name, ["body", "filename"])
    if size <= 0:
        raise FieldError(["body", "size"], "the file is empty (size must be > 0)", "value_error")
    if size > max_bytes:
        raise ArtifactTooLargeError(
            f"upload of {size} bytes ({name}) is over the limit of {max_bytes}"
        )
    digest = sha256.strip().lower()
    if not _HEX64.match(digest):
        raise FieldError(["body", "sha256"], "expected 64 hexadecimal characters", "value_error")
    chunk = chunk_size or DEFAULT_CHUNK_SIZE
    if not MIN_CHUNK_SIZE <= chunk <= MAX_CHUNK_SIZE:
        raise FieldError(
            ["body", "chunk_size"],
            f"chunk_size must be between {MIN_CHUNK_SIZE} and {MAX_CHUNK_SIZE} bytes",
            "value_error",
        )
    session = UploadSession(
        upload_id=uuid.uuid4().hex,
        filename=name,
        size=size,
        sha256=digest,
        chunk_size=chunk,
        created_at=datetime.now(UTC).isoformat(),
    )
    artifacts.put_bytes(
        f"{upload_prefix(session.upload_id)}/session.json", json.dumps(asdict(session)).encode()
    )
    return session


def get_session(
    artifacts: ArtifactStore, upload_id: str, idle_seconds: float | None = None
) -> UploadSession:
    """The session of ``upload_id``; NotFoundError (404) when there is none, or when it has
    been idle for more than ``idle_seconds`` (then its files are removed)."""
    if not _UPLOAD_ID.match(upload_id):
        raise NotFoundError(f"upload {upload_id!r} does not exist")
    try:
        data = json.loads(artifacts.read_bytes(f"{upload_prefix(upload_id)}/session.json"))
    except NotFoundError:
        raise NotFoundError(f"upload {upload_id!r} does not exist") from None
    session = UploadSession(**data)
    if idle_seconds is not None and _idle_for(artifacts, session) > idle_seconds:
        artifacts.delete(upload_prefix(upload_id))
        raise NotFoundError(
            f"upload {upload_id!r} expired after {idle_seconds:g} s without a chunk; start again"
        )
    return session


def touch(artifacts: ArtifactStore, upload_id: str) -> None:
    """Record activity on an upload (it expires only after that much idle time)."""
    now = datetime.now(UTC).isoformat().encode()
    artifacts.put_bytes(f"{upload_prefix(upload_id)}/active", now)


def _idle_for(artifacts: ArtifactStore, session: UploadSession) -> float:
    try:
        last = artifacts.read_bytes(f"{upload_prefix(session.upload_id)}/active").decode()
    except NotFoundError:
        last = session.created_at
    return (datetime.now(UTC) - datetime.fromisoformat(last)).total_seconds()


def expire_idle_uploads(artifacts: ArtifactStore, idle_seconds: float) -> list[str]:
    """Remove every upload idle for more than ``idle_seconds``; returns their ids."""
    ids = {key.split("/")[1] for key in artifacts.list("uploads") if key.count("/") >= 2}
    expired = []
    for upload_id in sorted(ids):
        try:
            get_session(artifacts, upload_id, idle_seconds)
        except NotFoundError:
            artifacts.delete(upload_prefix(upload_id))  # expired, or chunks without a session
            expired.append(upload_id)
    return expired


def received_chunks(artifacts: ArtifactStore, upload_id: str) -> list[int]:
    """Indexes of the chunks stored so far, ascending."""
    prefix = f"{upload_prefix(upload_id)}/chunks/"
    return sorted(int(key[len(prefix) :]) for key in artifacts.list(prefix.rstrip("/")))


def upload_status(
    artifacts: ArtifactStore, upload_id: str, idle_seconds: float | None = None
) -> dict[str, Any]:
    """What a client needs to resume: the session and the chunk indexes already received."""
    session = get_session(artifacts, upload_id, idle_seconds)
    received = received_chunks(artifacts, upload_id)
    return {
        **asdict(session),
        "n_chunks": session.n_chunks,
        "received": received,
        "received_bytes": sum(session.chunk_length(i) for i in received),
        "complete": len(received) == session.n_chunks,
    }


def complete_upload(
    store: MetadataStore,
    artifacts: ArtifactStore,
    upload_id: str,
    idle_seconds: float | None = None,
) -> tuple[str, str]:
    """Join the chunks into a dataset file, checking the sha256; returns (dataset_id, job_id).

    Missing chunks answer 409 (the session is kept, so the client can resume). A checksum
    mismatch answers 422 and discards the whole upload.
    """
    session = get_session(artifacts, upload_id, idle_seconds)
    received = set(received_chunks(artifacts, upload_id))
    missing = [i for i in range(session.n_chunks) if i not in received]
    if missing:
        shown = ", ".join(map(str, missing[:20])) + (" ..." if len(missing) > 20 else "")
        raise ConflictError(
            f"upload {upload_id!r} is missing {len(missing)} of {session.n_chunks} chunks: {shown}"
        )
    dataset_id = new_dataset_id()
    key = dataset_file_key(dataset_id, session.filename)
    try:
        with artifacts.writer(key, max_bytes=session.size) as out:
            for index in range(session.n_chunks):
                for piece in artifacts.iter_chunks(chunk_key(upload_id, index)):
                    out.write(piece)
            if out.size != session.size or out.sha256 != session.sha256:
                raise FieldError(
                    ["body", "sha256"],
                    f"checksum mismatch for {session.filename}: got {out.size} bytes with "
                    f"sha256 {out.sha256}, expected {session.size} bytes with {session.sha256}; "
                    "the upload was discarded",
                    "checksum_mismatch",
                )
    except (FieldError, ArtifactTooLargeError):
        abort_upload(artifacts, upload_id)
        raise
    info = ArtifactInfo(key, out.size, out.sha256)
    abort_upload(artifacts, upload_id)
    return register_dataset(
        store,
        artifacts,
        dataset_id=dataset_id,
        name=session.filename,
        source="upload",
        info=info,
    )


def abort_upload(artifacts: ArtifactStore, upload_id: str) -> None:
    """Remove an upload session and all its chunks."""
    get_session(artifacts, upload_id)
    artifacts.delete(upload_prefix(upload_id))
