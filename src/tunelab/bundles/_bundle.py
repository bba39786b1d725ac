"""Save and load model bundles: a folder with ``manifest.json`` and ``model.skops``."""

from __future__ import annotations

import logging
import math
import shutil
import tempfile
import warnings
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tunelab.bundles._archive import check_model_archive
from tunelab.bundles._fast_dump import dump_model
from tunelab.bundles._held_back import HELD_BACK_FILE, read_held_back, write_held_back
from tunelab.bundles._manifest import (
    FORMAT_VERSION,
    MANIFEST,
    MODEL_FILE,
    library_versions,
    read_manifest,
    sha256_file,
    write_manifest,
)
from tunelab.bundles._schema import ColumnSchema, infer_input_schema, validate_frame
from tunelab.bundles._skops import skops_io
from tunelab.bundles._stats import prediction_statistics, reference_statistics
from tunelab.bundles._trust import LIBRARIES, check_types, libraries_of, trusted_types
from tunelab.entities import BundleError, ConfigError, TaskType

log = logging.getLogger(__name__)


def _label(value: Any) -> str | int | float | bool:
    value = value.item() if isinstance(value, np.generic) else value
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"class label {value!r} is not a finite number")
    if isinstance(value, str | int | float | bool):
        return value
    raise ConfigError(
        f"class label {value!r} of type {type(value).__name__} cannot be stored; "
        "labels must be str, int, float or bool"
    )


def save_bundle(
    path: str | Path,
    model: Any,
    *,
    task: TaskType | str,
    target: str,
    classes: Sequence[Any] | None,
    feature_columns: Sequence[str],
    input_schema: Sequence[ColumnSchema | Mapping[str, Any]] | pd.DataFrame,
    metrics: Mapping[str, Any] | None = None,
    data_fingerprint: str | None = None,
    reference_stats: Mapping[str, Any] | pd.DataFrame | None = None,
    extra: Mapping[str, Any] | None = None,
    data_dictionary: Mapping[str, Mapping[str, str]] | None = None,
    prediction_reference: pd.DataFrame | None = None,
    held_back: pd.DataFrame | None = None,
    prediction_outputs: np.ndarray | None = None,
) -> Path:
    """Write a bundle folder at ``path`` atomically and return it.

    Args:
        model: a fitted estimator taking a DataFrame of ``feature_columns``; classifiers must
            predict encoded labels ``0..k-1`` in the order of ``classes``.
        classes: the original class labels (str/int/float/bool), None for regression.
        input_schema: ColumnSchema objects (or their dicts), or the training input frame to
            infer them from.
        reference_stats: precomputed statistics, or the training input frame to compute them.
        data_dictionary: ``{column: {"description": ..., "meaning": ...}}`` for the target
            and input columns (others are left out), kept as the manifest's
            ``data_dictionary``.
        prediction_reference: rows whose predictions by ``model`` become the reference of
            prediction drift (default: ``reference_stats`` when it is a frame).
        held_back: rows the model was not fitted on with their target and the model's
            outputs (``held_back_frame``), kept as ``held_back.parquet`` for the monitoring
            estimates before labels.

    The bundle is built in a temporary folder beside ``path`` and renamed into place; an
    existing bundle at ``path`` is replaced only once the new one is complete.
    """
    from tunelab.evaluation import jsonable  # only saving needs it (and its imports)

    task = TaskType(task)
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise BundleError(f"cannot write a bundle to {path}: it is an existing file")
    if isinstance(input_schema, pd.DataFrame):
        schema = infer_input_schema(input_schema[list(feature_columns)])
    else:
        schema = [
            c if isinstance(c, ColumnSchema) else ColumnSchema.from_dict(c) for c in input_schema
        ]
    names = {c.name for c in schema}
    unknown = [c for c in feature_columns if c not in names]
    if unknown:
        raise ConfigError(f"feature column(s) missing from input_schema: {', '.join(unknown)}")
    if isinstance(reference_stats, pd.DataFrame):
        stats: Any = reference_statistics(reference_stats[list(feature_columns)], schema)
    else:
        stats = dict(reference_stats or {})
    labels = None
    if task.is_classification:
        if not classes:
            raise ConfigError(f"a {task.value} bundle needs its class labels (field 'classes')")
        labels = [_label(c) for c in classes]
    if prediction_reference is None and isinstance(reference_stats, pd.DataFrame):
        prediction_reference = reference_stats
    prediction_stats = None
    if prediction_reference is not None:
        try:
            prediction_stats = prediction_statistics(
                model,
                prediction_reference[list(feature_columns)],
                task.value,
                labels,
                output=prediction_outputs,
            )
        except Exception:  # the bundle stays usable; prediction drift reports no reference
            log.warning("could not compute the prediction statistics", exc_info=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.tmp-", dir=path.parent))
    try:
        dump_model(model, tmp / MODEL_FILE)
        needed = skops_io().get_untrusted_types(file=tmp / MODEL_FILE)
        trusted = check_types(needed, "the model")
        manifest = {
            "format_version": FORMAT_VERSION,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "task": task.value,
            "target": target,
            "classes": labels,
            "feature_columns": list(feature_columns),
            "input_schema": [c.to_dict() for c in schema],
            "metrics": jsonable(dict(metrics or {})),
            "libraries": library_versions(),
            "data_fingerprint": data_fingerprint,
            "reference_statistics": jsonable(stats),
            "prediction_statistics": jsonable(prediction_stats),
            "trusted_types": trusted,
            "model_libraries": libraries_of(trusted),
            "extra": jsonable(dict(extra or {})),
            "data_dictionary": {
                str(name): {str(k): str(v) for k, v in entry.items() if v}
                for name, entry in (data_dictionary or {}).items()
                if name in names or name == target
            },
            "files": {MODEL_FILE: sha256_file(tmp / MODEL_FILE)},
        }
        if held_back is not None and len(held_back):
            written = write_held_back(tmp, held_back)
            manifest["files"][HELD_BACK_FILE] = sha256_file(written)
            manifest["held_back_rows"] = len(held_back)
        write_manifest(tmp, jsonable(manifest))
        _replace_dir(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return path


def _replace_dir(new: Path, path: Path) -> None:
    """Move ``new`` to ``path``, keeping any previous folder until the move succeeded."""
    if not path.exists():
        new.rename(path)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{path.name}.old-", dir=path.parent))
    old.rmdir()
    path.rename(old)
    try:
        new.rename(path)
    except BaseException:
        old.rename(path)
        raise
    shutil.rmtree(old, ignore_errors=True)


@dataclass(frozen=True, eq=False)
class Bundle:
    """A verified, loaded bundle. Use :func:`load_bundle` to get one."""

    path: Path
    manifest: dict[str, Any]
    model: Any

    @property
    def data_dictionary(self) -> dict[str, dict[str, str]]:
        """What each column holds and what its values mean (empty for older bundles)."""
        return dict(self.manifest.get("data_dictionary") or {})

    @property
    def task(self) -> TaskType:
        return TaskType(self.manifest["task"])

    @property
    def classes(self) -> list[Any] | None:
        return self.manifest.get("classes")

    @property
    def schema(self) -> list[ColumnSchema]:
        return [ColumnSchema.from_dict(c) for c in self.manifest["input_schema"]]

    @property
    def feature_columns(self) -> list[str]:
        return list(self.manifest.get("feature_columns") or [c.name for c in self.schema])

    @property
    def reference_statistics(self) -> dict[str, Any]:
        return dict(self.manifest.get("reference_statistics") or {})

    @property
    def prediction_statistics(self) -> dict[str, Any]:
        """Statistics of the model's outputs on the reference rows (empty in older bundles)."""
        return dict(self.manifest.get("prediction_statistics") or {})

    def held_back(self) -> pd.DataFrame | None:
        """Held-back rows with target and the model's outputs (None in older bundles)."""
        if HELD_BACK_FILE not in (self.manifest.get("files") or {}):
            return None
        return read_held_back(self.path)

    def validate(self, df: pd.DataFrame) -> pd.DataFrame:
        """The model's input columns of ``df``, checked and coerced (see validate_frame)."""
        return validate_frame(df, self.schema)[self.feature_columns]

    def _decode(self, codes: np.ndarray) -> np.ndarray:
        classes = self.classes or []
        codes = np.asarray(codes).astype(int).ravel()
        if codes.size and (codes.min() < 0 or codes.max() >= len(classes)):
            raise BundleError(
                f"model in {self.path} predicted class code {int(codes.max())} outside "
                f"0..{len(classes) - 1}"
            )
        return np.asarray(classes, dtype=object if _mixed(classes) else None)[codes]

    def predict(self, df: pd.DataFrame) -> np.ndarray:
        """Predictions for ``df``: original class labels, floats for regression, cluster
        labels for clustering."""
        X = self.validate(df)
        raw = np.asarray(self.model.predict(X))
        if self.task is TaskType.CLUSTERING:  # cluster labels, -1 for noise
            return raw.astype(int).ravel()
        if self.task.is_classification:
            return self._decode(raw)
        return raw.astype(float).ravel()

    def predict_proba(self, df: pd.DataFrame) -> pd.DataFrame:
        """Class probabilities, one column per class label, indexed like ``df``."""
        if not self.task.is_classification:
            raise ConfigError(
                f"bundle {self.path} is a {self.task.value} model: no class probabilities"
            )
        X = self.validate(df)
        proba = np.asarray(self.model.predict_proba(X), dtype=float)
        classes = self.classes or []
        if proba.shape[1] != len(classes):
            raise BundleError(
                f"model in {self.path} returned {proba.shape[1]} probability columns "
                f"for {len(classes)} classes"
            )
        return pd.DataFrame(proba, columns=pd.Index(classes, dtype=object), index=df.index)


def _mixed(values: Sequence[Any]) -> bool:
    return len({type(v) for v in values}) > 1


def load_bundle(path: str | Path) -> Bundle:
    """Verify and load the bundle folder at ``path``.

    In this order, before anything in the model file is parsed: the manifest's own checksum
    and every file's sha256; the model archive's directory (safe member names, declared
    sizes, no zip bomb); then every type the model file needs must be on tunelab's exact
    trusted list (:mod:`tunelab.bundles._trust`) for the libraries the manifest names. Only
    then is it loaded with ``skops.io.load(file, trusted=<that list>)`` (never pickle).
    The manifest's ``trusted_types`` is informational and never widens the list.
    Raises BundleError naming the file or the refused type.
    """
    folder = Path(path)
    if not folder.is_dir():
        raise BundleError(f"no bundle folder at {folder}")
    manifest = read_manifest(folder)
    libraries = _model_libraries(manifest, folder)
    model_path = folder / MODEL_FILE
    check_model_archive(model_path)
    sio = skops_io()
    from skops.io.exceptions import UntrustedTypesFoundException

    # One pass: skops refuses, before constructing anything, a file holding any type off
    # ``trusted``; only then are the refused types listed (a second, slower pass).
    try:
        model = sio.load(model_path, trusted=trusted_types(libraries))
    except UntrustedTypesFoundException:
        try:
            needed = sio.get_untrusted_types(file=model_path)
        except Exception as exc:
            raise BundleError(f"bundle file {MODEL_FILE} cannot be read: {exc}") from None
        check_types(needed, f"bundle file {model_path}", libraries)
        raise BundleError(f"bundle file {MODEL_FILE} holds types tunelab does not trust") from None
    except Exception as exc:
        raise BundleError(f"bundle file {MODEL_FILE} cannot be loaded: {exc}") from None
    _warn_versions(manifest, folder)
    return Bundle(path=folder, manifest=manifest, model=model)


def _model_libraries(manifest: Mapping[str, Any], folder: Path) -> list[str]:
    """The libraries the manifest says the model uses (all known ones for older bundles)."""
    libraries = manifest.get("model_libraries")
    if libraries is None:
        return list(LIBRARIES)
    if not isinstance(libraries, list) or not all(isinstance(x, str) for x in libraries):
        raise BundleError(f"{folder / MANIFEST}: model_libraries must be a list of names")
    return libraries


def _warn_versions(manifest: Mapping[str, Any], folder: Path) -> None:
    saved = manifest.get("libraries") or {}
    now = library_versions()
    for lib in ("scikit-learn", "lightgbm", "xgboost", "catboost"):
        if saved.get(lib) and now.get(lib) and saved[lib] != now[lib]:
            warnings.warn(
                f"bundle {folder} was saved with {lib} {saved[lib]}; running {now[lib]}",
                UserWarning,
                stacklevel=3,
            )


def zip_bundle(path: str | Path, out_zip: str | Path) -> Path:
    """Verify the bundle at ``path`` and write its files into the zip ``out_zip``."""
    folder = Path(path)
    if not folder.is_dir():
        raise BundleError(f"no bundle folder at {folder}")
    manifest = read_manifest(folder)
    out = Path(out_zip)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.write(folder / MANIFEST, MANIFEST)
        for name in manifest["files"]:
            archive.write(folder / name, name)
    return out
