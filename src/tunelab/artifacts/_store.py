"""An artifact store over any fsspec URL: streamed, checksummed, atomic writes."""

import hashlib
import os
import posixpath
import shutil
import tempfile
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, cast

import fsspec
from fsspec.implementations.local import LocalFileSystem

from tunelab.entities.errors import ConfigError
from tunelab.entities.platform import ArtifactTooLargeError, NotFoundError

CHUNK = 1024 * 1024
_TMP = "_tmp"


@dataclass(frozen=True)
class ArtifactInfo:
    """What was stored under ``key``: its size in bytes and the sha256 of its content."""

    key: str
    size: int
    sha256: str


class ArtifactWriter:
    """A file being written; counts bytes and hashes them as they pass."""

    def __init__(self, handle: IO[bytes], key: str, max_bytes: int | None) -> None:
        self._handle = handle
        self._hash = hashlib.sha256()
        self.key = key
        self.max_bytes = max_bytes
        self.size = 0

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.max_bytes is not None and self.size > self.max_bytes:
            raise ArtifactTooLargeError(
                f"{self.key}: more than the limit of {self.max_bytes} bytes"
            )
        self._hash.update(chunk)
        self._handle.write(chunk)

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()


class ArtifactStore:
    """Files under a root URL: a local folder (default) or ``s3://bucket/prefix``.

    Keys are relative POSIX paths (``datasets/<id>/train.csv``). Every write goes to a
    temporary key first and is moved into place only when complete, so readers never see
    half a file and a failed or oversized write leaves nothing behind. Nothing is ever read
    whole into memory: reads and writes stream in chunks.
    """

    def __init__(self, url: str, storage_options: dict[str, Any] | None = None) -> None:
        options = dict(storage_options or {})
        if url.startswith(("s3://", "s3a://")):
            options.setdefault("use_listings_cache", False)
        try:
            self.fs, root = fsspec.core.url_to_fs(url, **options)
        except (ValueError, ImportError) as exc:
            raise ConfigError(f"artifact store URL {url!r} cannot be used: {exc}") from exc
        self.url = url
        self.storage_options = options
        self.root = root.rstrip("/")
        self.is_local = isinstance(self.fs, LocalFileSystem)
        if self.is_local:
            os.makedirs(self.root, exist_ok=True)

    def __repr__(self) -> str:
        return f"ArtifactStore({self.url!r})"

    # ----- keys ---------------------------------------------------------------------------
    def path(self, key: str) -> str:
        """The filesystem path of ``key`` (validated: relative, no ``..``)."""
        clean = posixpath.normpath(key.strip("/")) if key else ""
        if not clean or clean == "." or clean.startswith(("..", _TMP)) or "\\" in key:
            raise ConfigError(f"artifact key {key!r} is not a valid relative path")
        return f"{self.root}/{clean}"

    def uri(self, key: str) -> str:
        """A URL for ``key`` that fsspec-aware readers can open with ``storage_options``."""
        path = self.path(key)
        return path if self.is_local else self.fs.unstrip_protocol(path)

    # ----- writes -------------------------------------------------------------------------
    @contextmanager
    def writer(self, key: str, *, max_bytes: int | None = None) -> Iterator[ArtifactWriter]:
        """Write ``key`` chunk by chunk; it appears only if the block ends without error."""
        final = self.path(key)
        tmp = f"{self.root}/{_TMP}/{uuid.uuid4().hex}"
        if self.is_local:
            os.makedirs(posixpath.dirname(tmp), exist_ok=True)
        handle = self.fs.open(tmp, "wb")
        try:
            writer = ArtifactWriter(handle, key, max_bytes)
            yield writer
            handle.close()
            if self.is_local:
                os.makedirs(posixpath.dirname(final), exist_ok=True)
                os.replace(tmp, final)
            else:
                self.fs.mv(tmp, final)
        except BaseException:
            discard = getattr(handle, "discard", None)  # aborts a multipart upload
            with suppress(Exception):
                if callable(discard):
                    discard()
                handle.close()
            with suppress(Exception):
                if self.fs.exists(tmp):
                    self.fs.rm(tmp)
            raise
        finally:
            self._forget()

    def put_stream(
        self,
        key: str,
        source: IO[bytes] | Iterable[bytes],
        *,
        max_bytes: int | None = None,
    ) -> ArtifactInfo:
        """Store a binary file object or an iterable of byte chunks under ``key``."""
        chunks = _chunks(cast(IO[bytes], source)) if hasattr(source, "read") else source
        with self.writer(key, max_bytes=max_bytes) as out:
            for chunk in chunks:
                out.write(chunk)
        return ArtifactInfo(key, out.size, out.sha256)

    def put_bytes(self, key: str, data: bytes) -> ArtifactInfo:
        return self.put_stream(key, [data])

    def put_file(self, key: str, path: str | os.PathLike[str]) -> ArtifactInfo:
        with open(path, "rb") as handle:
            return self.put_stream(key, handle)

    def put_dir(self, prefix: str, folder: str | os.PathLike[str]) -> list[ArtifactInfo]:
        """Copy a local folder's files under ``prefix`` (each file atomically)."""
        root = Path(folder)
        if not root.is_dir():
            raise NotFoundError(f"folder {str(root)!r} does not exist")
        files = sorted(p for p in root.rglob("*") if p.is_file())
        return [self.put_file(f"{prefix}/{p.relative_to(root).as_posix()}", p) for p in files]

    # ----- reads --------------------------------------------------------------------------
    def open(self, key: str) -> IO[bytes]:
        """A binary file object for reading ``key`` (NotFoundError if absent)."""
        path = self.path(key)
        try:
            return cast(IO[bytes], self.fs.open(path, "rb"))
        except FileNotFoundError as exc:
            raise NotFoundError(f"artifact {key!r} does not exist") from exc

    def iter_chunks(self, key: str, chunk_size: int = CHUNK) -> Iterator[bytes]:
        with self.open(key) as handle:
            yield from _chunks(handle, chunk_size)

    def get_file(self, key: str, dest: str | os.PathLike[str]) -> Path:
        """Stream ``key`` to a local file (written beside it, then renamed)."""
        target = Path(dest)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".part-")
        try:
            with os.fdopen(fd, "wb") as out, self.open(key) as src:
                shutil.copyfileobj(src, out, CHUNK)
            os.replace(tmp, target)
        except BaseException:
            with suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        return target

    def get_dir(self, prefix: str, dest: str | os.PathLike[str]) -> Path:
        """Copy every file under ``prefix`` into the local folder ``dest``."""
        keys = self.list(prefix)
        if not keys:
            raise NotFoundError(f"artifact folder {prefix!r} is empty or does not exist")
        for key in keys:
            self.get_file(key, Path(dest) / posixpath.relpath(key, prefix.strip("/")))
        return Path(dest)

    def cached_dir(self, prefix: str, cache_root: str | os.PathLike[str]) -> Path:
        """A local copy of the (immutable) folder ``prefix``, downloaded once per cache."""
        digest = hashlib.sha256(f"{self.url}|{prefix}".encode()).hexdigest()[:24]
        root = Path(cache_root)
        target = root / digest
        if target.is_dir():
            return target
        root.mkdir(parents=True, exist_ok=True)
        partial = Path(tempfile.mkdtemp(dir=root, prefix=".part-"))
        try:
            self.get_dir(prefix, partial)
            os.rename(partial, target)
        except OSError:
            if not target.is_dir():
                raise
        finally:
            shutil.rmtree(partial, ignore_errors=True)
        return target

    def read_bytes(self, key: str) -> bytes:
        """The whole content of a small artifact (manifests, JSON)."""
        with self.open(key) as handle:
            return handle.read()

    # ----- inspection and removal ---------------------------------------------------------
    def exists(self, key: str) -> bool:
        return bool(self.fs.exists(self.path(key)))

    def size(self, key: str) -> int:
        try:
            return int(self.fs.size(self.path(key)))
        except FileNotFoundError as exc:
            raise NotFoundError(f"artifact {key!r} does not exist") from exc

    def list(self, prefix: str = "") -> list[str]:
        """Keys of every file under ``prefix`` (recursively), sorted; temporaries excluded."""
        base = self.path(prefix) if prefix.strip("/") else self.root
        if not self.fs.exists(base):
            return []
        found = self.fs.find(base)
        strip = self.root.rstrip("/") + "/"
        keys = [p[len(strip) :] if p.startswith(strip) else p for p in found]
        return sorted(k for k in keys if not k.startswith(_TMP + "/"))

    def delete(self, key: str) -> None:
        """Remove a file or a whole prefix; absent keys are fine."""
        path = self.path(key)
        with suppress(FileNotFoundError):
            if self.fs.exists(path):
                self.fs.rm(path, recursive=True)
        self._forget()

    def _forget(self) -> None:
        with suppress(Exception):
            self.fs.invalidate_cache()


def _chunks(handle: IO[bytes], chunk_size: int = CHUNK) -> Iterator[bytes]:
    while chunk := handle.read(chunk_size):
        yield chunk
