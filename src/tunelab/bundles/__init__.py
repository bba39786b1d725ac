"""The model bundle format: a verified folder with manifest.json and model.skops."""

from tunelab.bundles._bundle import Bundle, load_bundle, save_bundle, zip_bundle
from tunelab.bundles._manifest import FORMAT_VERSION, library_versions
from tunelab.bundles._schema import ColumnSchema, infer_input_schema, validate_frame
from tunelab.bundles._stats import reference_statistics
from tunelab.bundles._trust import ALLOWED_PREFIXES, is_trusted

__all__ = [
    "ALLOWED_PREFIXES",
    "FORMAT_VERSION",
    "Bundle",
    "ColumnSchema",
    "infer_input_schema",
    "is_trusted",
    "library_versions",
    "load_bundle",
    "reference_statistics",
    "save_bundle",
    "validate_frame",
    "zip_bundle",
]
