"""The model bundle format: a verified folder with manifest.json and model.skops.

Names are imported on first use, so ``import tunelab.bundles`` costs almost nothing and
skops, pandas and the model libraries load only when a bundle is saved or loaded.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tunelab.bundles._bundle import Bundle, load_bundle, save_bundle, zip_bundle
    from tunelab.bundles._held_back import held_back_frame
    from tunelab.bundles._manifest import FORMAT_VERSION, library_versions
    from tunelab.bundles._mlflow import export_mlflow
    from tunelab.bundles._onnx import OnnxExport, export_onnx
    from tunelab.bundles._schema import ColumnSchema, infer_input_schema, validate_frame
    from tunelab.bundles._skops import skops_io
    from tunelab.bundles._stats import prediction_statistics, reference_statistics
    from tunelab.bundles._trust import TRUSTED_TYPES, is_trusted, trusted_types

_WHERE = {
    "Bundle": "_bundle",
    "load_bundle": "_bundle",
    "save_bundle": "_bundle",
    "zip_bundle": "_bundle",
    "held_back_frame": "_held_back",
    "FORMAT_VERSION": "_manifest",
    "library_versions": "_manifest",
    "export_mlflow": "_mlflow",
    "export_onnx": "_onnx",
    "OnnxExport": "_onnx",
    "ColumnSchema": "_schema",
    "infer_input_schema": "_schema",
    "validate_frame": "_schema",
    "reference_statistics": "_stats",
    "prediction_statistics": "_stats",
    "skops_io": "_skops",
    "TRUSTED_TYPES": "_trust",
    "is_trusted": "_trust",
    "trusted_types": "_trust",
}

__all__ = [
    "FORMAT_VERSION",
    "TRUSTED_TYPES",
    "Bundle",
    "ColumnSchema",
    "OnnxExport",
    "export_mlflow",
    "export_onnx",
    "held_back_frame",
    "infer_input_schema",
    "is_trusted",
    "library_versions",
    "load_bundle",
    "prediction_statistics",
    "reference_statistics",
    "save_bundle",
    "skops_io",
    "trusted_types",
    "validate_frame",
    "zip_bundle",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'tunelab.bundles' has no attribute {name!r}")
    value = getattr(import_module(f"tunelab.bundles.{module}"), name)
    globals()[name] = value
    return value
