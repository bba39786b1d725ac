"""Exceptions raised by tunelab. Every message names the offending column, row or field."""


class TunelabError(Exception):
    """Base class of every error tunelab raises on purpose."""


class DataError(TunelabError, ValueError):
    """The input table cannot be read or cannot be used (empty, corrupt, bad target...)."""


class SchemaError(DataError):
    """Prediction input does not match a model's input schema (missing or mistyped columns)."""


class ConfigError(TunelabError, ValueError):
    """Settings are invalid (unknown metric, bad ratios, unknown algorithm...)."""


class BundleError(TunelabError):
    """A model bundle is missing, altered (checksum mismatch) or of an unknown version."""


class ExportError(ConfigError):
    """A model cannot be exported to a format (a step has no converter, or the exported
    model's predictions differ from the bundle's); the message names the step or figure."""
