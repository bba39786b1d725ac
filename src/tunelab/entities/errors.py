"""Exceptions raised by tunelab. Every message names the offending column, row or field."""

import re


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


_ROOTS = "tmp|var|home|root|work|usr|opt|private|Users|mnt|srv|run|data|app|proc|etc"
# an absolute file path (two segments or more, under a usual root), not part of a URL
_PATH = re.compile(
    rf"(?<![\w:/.~-])(?:[A-Za-z]:)?[/\\](?:{_ROOTS})(?:[/\\][^\s'\"/\\,;)]+)*[/\\]([^\s'\"/\\,;)]+)"
)


def scrub_paths(text: str) -> str:
    """``text`` with every absolute server path reduced to its last part (the file name)."""
    return _PATH.sub(lambda match: match.group(1), text)


def public_message(exc: BaseException) -> str:
    """What a user may read about ``exc``: its message without server paths or the exception
    class. An error tunelab raises on purpose says what to do; any other reads as unexpected
    (the traceback belongs in the server log)."""
    text = scrub_paths(str(exc)).strip()
    if isinstance(exc, TunelabError):
        return text or "the request could not be completed"
    if isinstance(exc, KeyError | IndexError | AttributeError | TypeError) or not text:
        return "unexpected error (details in the server log)"
    return f"unexpected error: {text}"


class ExportError(ConfigError):
    """A model cannot be exported to a format (a step has no converter, or the exported
    model's predictions differ from the bundle's); the message names the step or figure."""
