"""Crash-safe files of a search checkpoint: atomic writes, a lossless JSON codec, fold models.

Every write goes to a temporary name in the same folder, is flushed to disk, then renamed
over the target (``os.replace`` is atomic on POSIX), so a process killed mid-write leaves the
previous version readable; leftover temporary names start with ``.tmp-`` and are ignored.
"""

import contextlib
import dataclasses
import enum
import json
import math
import os
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from tunelab.entities import ConfigError
from tunelab.models import trusted_types

TMP_PREFIX = ".tmp-"


def encode(value: Any) -> Any:
    """A JSON-ready copy of ``value`` that :func:`decode` turns back into an equal value.

    Tuples and non-finite floats are tagged (plain JSON would turn them into lists and
    invalid tokens); numpy scalars become Python numbers; enums their value.
    """
    if value is None or isinstance(value, bool | str | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {"__float__": repr(value)}
    if isinstance(value, np.generic):
        return encode(value.item())
    if isinstance(value, enum.Enum):
        return encode(value.value)
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v) for v in value]}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {str(k): encode(v) for k, v in value.items()}
    return {"__str__": str(value)}


def decode(value: Any) -> Any:
    """Inverse of :func:`encode`."""
    if isinstance(value, list):
        return [decode(v) for v in value]
    if isinstance(value, dict):
        if set(value) == {"__tuple__"}:
            return tuple(decode(v) for v in value["__tuple__"])
        if set(value) == {"__float__"}:
            return float(value["__float__"])
        if set(value) == {"__str__"}:
            return str(value["__str__"])
        return {k: decode(v) for k, v in value.items()}
    return value


def canonical(value: Any) -> str:
    """A stable text form of settings (dataclasses, enums, sets) for fingerprints."""

    def plain(v: Any) -> Any:
        if dataclasses.is_dataclass(v) and not isinstance(v, type):
            return {f.name: plain(getattr(v, f.name)) for f in dataclasses.fields(v)}
        if isinstance(v, enum.Enum):
            return plain(v.value)
        if isinstance(v, set | frozenset):
            return sorted((plain(x) for x in v), key=repr)
        if isinstance(v, list | tuple):
            return [plain(x) for x in v]
        if isinstance(v, dict):
            return {str(k): plain(x) for k, x in v.items()}
        if isinstance(v, np.generic):
            return v.item()
        return v

    return json.dumps(plain(value), sort_keys=True, default=repr)


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_atomic(path: Path, write: Callable[[Path], Any]) -> None:
    """Call ``write(tmp)`` on a temporary file next to ``path``, then rename it to ``path``."""
    tmp = path.with_name(f"{TMP_PREFIX}{uuid.uuid4().hex}-{path.name}")
    try:
        write(tmp)
        with tmp.open("rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    _fsync_dir(path.parent)


def write_json(path: Path, payload: Any) -> None:
    """Write ``payload`` (already JSON-ready) atomically."""
    text = json.dumps(payload, separators=(",", ":"), allow_nan=False)
    write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def read_json(path: Path) -> Any:
    """Read a JSON file written by :func:`write_json`; ConfigError naming it if unreadable."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ConfigError(f"unreadable checkpoint file {path}: {error}") from None


def write_dir_atomic(path: Path, fill: Callable[[Path], None]) -> None:
    """Fill a temporary folder next to ``path``, then rename it to ``path`` as a whole."""
    tmp = path.with_name(f"{TMP_PREFIX}{uuid.uuid4().hex}-{path.name}")
    tmp.mkdir(parents=True)
    try:
        fill(tmp)
        for child in tmp.iterdir():
            with child.open("rb+") as handle:
                os.fsync(handle.fileno())
        if path.exists():
            shutil.rmtree(path)
        os.replace(tmp, path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    _fsync_dir(path.parent)


def remove_tmp(folder: Path) -> None:
    """Delete what a killed writer left behind under temporary names in ``folder``."""
    for child in folder.glob(f"{TMP_PREFIX}*"):
        if child.is_dir():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)


def save_models(models: list[Any], path: Path) -> None:
    """Save fitted fold models with skops (no pickle)."""
    import skops.io as sio  # only a checkpointed search pays skops' import (all of sklearn)

    sio.dump(list(models), path)


def load_models(path: Path) -> list[Any]:
    """Load fold models saved by :func:`save_models`, trusting only the types tunelab's
    models are made of: tunelab's exact list (``tunelab.entities.trusted_types``, no
    prefixes), as for bundles; anything else in the file is refused with a ConfigError
    naming it (a checkpoint may come back from a shared artifact store)."""
    import skops.io as sio

    needed = sio.get_untrusted_types(file=path)
    allowed = set(trusted_types())
    refused = [t for t in needed if t not in allowed]
    if refused:
        raise ConfigError(f"checkpoint file {path} holds untrusted types: {', '.join(refused)}")
    models = sio.load(path, trusted=needed)
    return list(models)
