"""Check a model file's zip directory before anything in it is read.

``model.skops`` is a zip archive. Its central directory declares every member's name and
sizes; Python's zipfile never inflates a member past its declared size, so checking the
declared sizes bounds what loading can read. Refused (BundleError naming the member):

- a name that is absolute, contains ``..`` or a backslash, or repeats (path traversal);
- more than ``MAX_MEMBERS`` members;
- more than ``MAX_MODEL_BYTES`` declared uncompressed bytes in total;
- a member that inflates more than ``MAX_RATIO`` times (a zip bomb; tunelab stores members
  uncompressed, so its own bundles have a ratio of about 1).
"""

from __future__ import annotations

import zipfile
from pathlib import Path, PurePosixPath

from tunelab.entities import BundleError

MAX_MODEL_BYTES = 8 * 1024**3
MAX_MEMBERS = 1_000_000
MAX_RATIO = 100
_RATIO_FLOOR = 1024 * 1024  # members smaller than this may compress well


def check_model_archive(
    path: Path, *, max_bytes: int = MAX_MODEL_BYTES, max_ratio: int = MAX_RATIO
) -> None:
    """Raise BundleError when the zip at ``path`` is unsafe or too large to read."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise BundleError(f"bundle file {path.name} is not a valid archive: {exc}") from None
    if len(infos) > MAX_MEMBERS:
        raise BundleError(
            f"bundle file {path.name} holds {len(infos)} members (limit {MAX_MEMBERS})"
        )
    seen: set[str] = set()
    total = 0
    for info in infos:
        name = info.filename
        parts = PurePosixPath(name).parts
        if name.startswith("/") or "\\" in name or ".." in parts or ":" in name or name in seen:
            raise BundleError(f"bundle file {path.name} holds an unsafe member name {name!r}")
        seen.add(name)
        total += info.file_size
        if info.file_size > _RATIO_FLOOR and info.file_size > max_ratio * max(
            info.compress_size, 1
        ):
            raise BundleError(
                f"bundle file {path.name}: member {name!r} inflates {info.compress_size} bytes "
                f"to {info.file_size} (over {max_ratio}x): refused as a zip bomb"
            )
    if total > max_bytes:
        raise BundleError(
            f"bundle file {path.name} declares {total} uncompressed bytes, over the limit of "
            f"{max_bytes}"
        )
