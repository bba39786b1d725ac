"""Monitoring services shared by the REST views and the web pages: time windows, labels
(JSON and CSV joined on a key column), drift settings."""

import io
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from tunelab.entities.errors import ConfigError
from tunelab.jobs import RULE_KINDS, check_webhook_url, logged_window
from tunelab.monitoring import ID, METHODS, MIN_ROWS, DriftOptions, inputs_of
from tunelab.server.errors import FieldError
from tunelab.tracking import MetadataStore

MAX_CSV_BYTES = 50 * 1024 * 1024
RULE_NEEDS = {
    "column_drift": ("column",),
    "metric_below": ("metric", "value"),
    "error_rate": ("value",),
    "latency_p95": ("value",),
}


def check_rule(
    kind: str, params: dict[str, Any], webhook_url: str | None, allow_private: bool
) -> None:
    """422 naming the field unless the alert rule is complete and its webhook allowed."""
    if kind not in RULE_KINDS:
        raise FieldError(["body", "kind"], f"kind must be one of {', '.join(RULE_KINDS)}", "enum")
    for name in RULE_NEEDS.get(kind, ()):
        if params.get(name) in (None, ""):
            raise FieldError(["body", "params", name], f"{kind} needs {name}", "missing")
    for name in ("value", "window_hours", "cooldown_minutes"):
        value = params.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise FieldError(["body", "params", name], f"{name} must be a number", "value_error")
    if webhook_url:
        try:
            check_webhook_url(webhook_url, allow_private=allow_private)
        except ConfigError as exc:
            raise FieldError(["body", "webhook_url"], str(exc), "value_error") from None


def parse_time(value: str | None, name: str) -> datetime | None:
    """An ISO 8601 time (naive: UTC), or None; 422 naming the parameter otherwise."""
    if value is None or not value.strip():
        return None
    try:
        at = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise FieldError(
            ["query", name],
            f"{value!r} is not an ISO 8601 time (2026-12-07T10:00:00Z)",
            "value_error",
        ) from None
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def window_of(start: str | None, end: str | None) -> tuple[datetime | None, datetime | None]:
    first, last = parse_time(start, "start"), parse_time(end, "end")
    if first is not None and last is not None and last <= first:
        raise FieldError(["query", "end"], "end must come after start", "value_error")
    return first, last


def check_settings(settings: dict[str, Any]) -> DriftOptions:
    """The drift settings as options; 422 naming a bad field."""
    share = settings.get("drift_share", 0.5)
    if not isinstance(share, int | float) or not 0 < float(share) <= 1:
        raise FieldError(["body", "drift_share"], "drift_share must be in (0, 1]", "value_error")
    rows = settings.get("min_rows", MIN_ROWS)
    if not isinstance(rows, int) or rows < 1:
        raise FieldError(["body", "min_rows"], "min_rows must be an integer >= 1", "value_error")
    for name, rule in dict(settings.get("columns") or {}).items():
        method = (rule or {}).get("method")
        if method is not None and method not in METHODS:
            raise FieldError(
                ["body", "columns", name, "method"],
                f"method must be one of {', '.join(sorted(METHODS))}",
                "enum",
            )
        threshold = (rule or {}).get("threshold")
        if threshold is not None and (
            not isinstance(threshold, int | float) or float(threshold) < 0
        ):
            raise FieldError(
                ["body", "columns", name, "threshold"], "threshold must be >= 0", "value_error"
            )
    return DriftOptions.from_dict(settings)


def labels_from_csv(
    store: MetadataStore, deployment_id: str, data: bytes, key_column: str, label_column: str
) -> dict[str, int]:
    """Attach the labels of a CSV by joining its ``key_column`` with the logged input field
    of that name (or ``prediction_id``); every logged prediction with a matching key gets the
    label. Returns rows read, predictions labelled and CSV rows that matched none."""
    if len(data) > MAX_CSV_BYTES:
        raise FieldError(["body", "file"], "the CSV is larger than 50 MB", "too_long")
    try:
        table = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)
    except (ValueError, UnicodeDecodeError) as exc:
        raise FieldError(["body", "file"], f"cannot read the CSV: {exc}", "value_error") from None
    for field, column in (("key_column", key_column), ("label_column", label_column)):
        if column not in table.columns:
            raise FieldError(["body", field], f"the CSV has no column {column!r}", "value_error")
    frame = logged_window(store, deployment_id, None, None)
    if key_column == "prediction_id":
        keys = frame[ID].astype(str) if len(frame) else pd.Series(dtype=str)
    else:
        inputs = inputs_of(frame)
        if key_column not in inputs.columns:
            raise FieldError(
                ["body", "key_column"],
                f"{key_column!r} is not an input field of the logged predictions",
                "value_error",
            )
        keys = inputs[key_column].map(_key)
    by_key: dict[str, list[str]] = {}
    for key, prediction_id in zip(keys.tolist(), frame[ID].tolist(), strict=True):
        by_key.setdefault(key, []).append(prediction_id)
    pairs: list[tuple[str, Any]] = []
    unmatched = 0
    for key, label in zip(table[key_column].map(_key), table[label_column], strict=True):
        found = by_key.get(key)
        if not found:
            unmatched += 1
            continue
        value = _number_or_text(label)
        pairs.extend((prediction_id, value) for prediction_id in found)
    stored = store.add_labels(deployment_id, pairs)
    return {"rows": len(table), "labelled": stored, "unmatched": unmatched}


def _key(value: Any) -> str:
    """A join key: numbers written without a trailing ``.0``."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    try:
        number = float(text)
    except ValueError:
        return text
    return str(int(number)) if number.is_integer() else text


def _number_or_text(value: str) -> Any:
    try:
        number = float(value)
    except ValueError:
        return value
    return int(number) if number.is_integer() and "." not in value else number
