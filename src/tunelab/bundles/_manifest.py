"""manifest.json: what a bundle holds, how to check it, and which libraries wrote it."""

from __future__ import annotations

import hashlib
import json
import platform
from importlib import metadata
from pathlib import Path
from typing import Any

from tunelab.entities import BundleError

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MODEL_FILE = "model.skops"
_SELF_KEY = "manifest_sha256"
_REQUIRED = ("format_version", "task", "input_schema", "files", "trusted_types", _SELF_KEY)
_LIBRARIES = {
    "tunelab": ("tunelab",),
    "scikit-learn": ("scikit-learn",),
    "lightgbm": ("lightgbm",),
    "xgboost": ("xgboost", "xgboost-cpu"),
    "catboost": ("catboost",),
    "skops": ("skops",),
    "numpy": ("numpy",),
    "pandas": ("pandas",),
}


def library_versions() -> dict[str, str | None]:
    """Installed versions of the libraries a bundle depends on (None when absent)."""
    out: dict[str, str | None] = {}
    for name, dists in _LIBRARIES.items():
        out[name] = None
        for dist in dists:
            try:
                out[name] = metadata.version(dist)
                break
            except metadata.PackageNotFoundError:
                continue
    out["python"] = platform.python_version()
    return out


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _canonical(manifest: dict[str, Any]) -> bytes:
    body = {k: v for k, v in manifest.items() if k != _SELF_KEY}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), allow_nan=False).encode()


def seal(manifest: dict[str, Any]) -> dict[str, Any]:
    """``manifest`` with its own checksum (over every other key) added."""
    sealed = dict(manifest)
    sealed[_SELF_KEY] = hashlib.sha256(_canonical(manifest)).hexdigest()
    return sealed


def write_manifest(folder: Path, manifest: dict[str, Any]) -> None:
    text = json.dumps(seal(manifest), indent=2, allow_nan=False, ensure_ascii=False)
    (folder / MANIFEST).write_text(text + "\n", encoding="utf-8")


def read_manifest(folder: Path) -> dict[str, Any]:
    """The verified manifest of the bundle ``folder``.

    Checks the manifest's own checksum, the format version, and the sha256 of every file it
    lists; raises BundleError naming the file at fault.
    """
    path = folder / MANIFEST
    if not path.is_file():
        raise BundleError(f"bundle {folder} has no {MANIFEST}")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BundleError(f"{path} is not valid JSON: {exc}") from None
    if not isinstance(manifest, dict):
        raise BundleError(f"{path} does not hold a JSON object")
    missing = [key for key in _REQUIRED if key not in manifest]
    if missing:
        raise BundleError(f"{path} lacks the field(s): {', '.join(missing)}")
    try:
        expected = hashlib.sha256(_canonical(manifest)).hexdigest()
    except ValueError as exc:
        raise BundleError(f"{path} holds a non-finite number: {exc}") from None
    if manifest[_SELF_KEY] != expected:
        raise BundleError(f"{path} was altered (its checksum does not match its content)")
    if manifest["format_version"] != FORMAT_VERSION:
        raise BundleError(
            f"{path} has format_version {manifest['format_version']!r}; "
            f"this tunelab reads version {FORMAT_VERSION}"
        )
    files = manifest["files"]
    if not isinstance(files, dict) or MODEL_FILE not in files:
        raise BundleError(f"{path} does not list {MODEL_FILE} among its files")
    for name, digest in files.items():
        target = (folder / name).resolve()
        if folder.resolve() not in target.parents:
            raise BundleError(f"{path} lists a file outside the bundle: {name!r}")
        if not target.is_file():
            raise BundleError(f"bundle file {name} is missing from {folder}")
        if sha256_file(target) != digest:
            raise BundleError(f"bundle file {name} was altered (sha256 mismatch)")
    return manifest
