"""Names and sentences the pages build from data, in the page's language.

Model families, metrics and bundled sample datasets are named by code; their labels live in
``locales/<lang>/labels.json`` (``labels.family_<name>``, ``labels.metric_<name>``,
``labels.sample_title_<name>``...). A name without a label falls back to the English text
the engine gives (``ModelSpec.label``, the sample catalog) or to the code name itself.
The data-split sentence is built here from the split's structured fields instead of showing
the engine's English ``description``.
"""

import re
from datetime import UTC, datetime
from typing import Any

from tunelab.server.ui.choices import algorithm_choices
from tunelab.server.ui.i18n import DEFAULT_LANGUAGE, catalog, translate


def translate_or(lang: str, key: str, default: str, **kwargs: Any) -> str:
    """``key`` in ``lang`` when that catalog has it, else ``default``."""
    if key in catalog(lang):
        return translate(lang, key, **kwargs)
    return default


def family_label(lang: str, name: str, english: str | None = None) -> str:
    """A model family's label: English from the registry, others from ``labels.family_*``."""
    english = english or _registry_labels().get(name, name)
    if lang == DEFAULT_LANGUAGE:
        return english
    return translate_or(lang, f"labels.family_{name}", english)


def _registry_labels() -> dict[str, str]:
    return {a["name"]: a["label"] for a in algorithm_choices()}


def metric_label(lang: str, name: str | None) -> str:
    """A metric as shown: the code name in English, ``"로그 손실 (log_loss)"`` in Korean."""
    if not name:
        return ""
    if lang == DEFAULT_LANGUAGE:
        return name
    label = translate_or(lang, f"labels.metric_{name}", "")
    return f"{label} ({name})" if label else name


def sample_text(lang: str, sample: dict[str, Any]) -> dict[str, Any]:
    """A sample-catalog entry with its title and description in ``lang``."""
    name = str(sample.get("name", ""))
    title = str(sample.get("title") or name)
    description = str(sample.get("description") or "")
    if lang == DEFAULT_LANGUAGE:
        return {**sample, "title": title, "description": description}
    return {
        **sample,
        "title": translate_or(lang, f"labels.sample_title_{name}", title),
        "description": translate_or(lang, f"labels.sample_description_{name}", description),
    }


def seconds(lang: str, value: float | None) -> str:
    """A short time in seconds with its unit (``"1.50 s"``, ``"1.50초"``)."""
    if value is None:
        return "—"
    return translate(lang, "labels.seconds", n=f"{float(value):.2f}")


def timestamp(lang: str, value: datetime | None) -> str:
    """A full date and time (UTC) in the language's usual order."""
    if value is None:
        return "—"
    moment = value if value.tzinfo else value.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    return translate(
        lang,
        "labels.timestamp",
        year=moment.year,
        month=moment.month,
        day=moment.day,
        time=moment.strftime("%H:%M:%S"),
    )


# The engine's split descriptions (evaluation/_splits.py): read only for models whose run
# left no structured summary (a bundle imported on its own).
_DESCRIPTIONS = (
    ("cv", r"^(?P<folds>\d+)-fold CV(?: x (?P<repeats>\d+) repeats)?, test (?P<test>\d+) rows"),
    ("group", r"^(?P<folds>\d+)-fold group CV by '(?P<column>.*)', test (?P<test>\d+) rows"),
    ("holdout", r"^holdout (?P<train>\d+)%/(?P<valid>\d+)%/(?P<test_pct>\d+)%"),
    ("ranges", r"^holdout by ranges of '(?P<column>.*)'"),
    (
        "time",
        r"^time split (?:ordered by '(?P<column>.*)'|in row order): "
        r"last (?P<test>\d+) rows test, (?P<folds>\d+) expanding folds",
    ),
)


def _stratified(description: str) -> bool:
    return description.rstrip().endswith(", stratified")


def split_facts(
    summary: dict[str, Any] | None, settings: dict[str, Any] | None = None
) -> dict[str, Any] | None:
    """The split as structured facts from a run's ``splits/summary.json`` and its settings."""
    if not summary:
        return None
    split = dict((settings or {}).get("split") or {})
    parts = summary.get("parts") or {}
    rows = {p: int((parts.get(p) or {}).get("rows") or 0) for p in ("train", "valid", "test")}
    n_folds = int(summary.get("n_folds") or 0)
    kind = str(summary.get("kind") or "cv")
    configured = str(split.get("kind") or "")
    if kind == "holdout":
        kind = "ranges" if split.get("column_ranges") else "holdout"
    elif configured in ("group", "time", "repeated_cv"):
        kind = configured
    repeats = int(split.get("repeats") or 1) if kind == "repeated_cv" else 1
    return {
        "kind": kind,
        "folds": max(1, n_folds // repeats) if kind != "holdout" else None,
        "repeats": repeats,
        "rows": rows,
        "column": split.get("column"),
        "stratified": _stratified(str(summary.get("description") or "")),
        "unused": int(summary.get("unused") or 0),
    }


def parse_description(description: str | None) -> dict[str, Any] | None:
    """Facts from the engine's description sentence (None when it has another form)."""
    if not description:
        return None
    for kind, pattern in _DESCRIPTIONS:
        found = re.match(pattern, description)
        if found is None:
            continue
        groups = {k: v for k, v in found.groupdict().items() if v is not None}
        repeats = int(groups.get("repeats", 1))
        return {
            "kind": "repeated_cv" if repeats > 1 else kind,
            "folds": int(groups["folds"]) if "folds" in groups else None,
            "repeats": repeats,
            "percent": {p: int(groups[p]) for p in ("train", "valid") if p in groups}
            | ({"test": int(groups["test_pct"])} if "test_pct" in groups else {}),
            "rows": {"test": int(groups["test"])} if "test" in groups else {},
            "column": groups.get("column"),
            "stratified": _stratified(description),
            "unused": 0,
        }
    return None


def split_sentence(lang: str, facts: dict[str, Any] | None, fallback: str = "") -> str:
    """One sentence describing the split in ``lang`` (``fallback`` when there are no facts)."""
    if not facts:
        return fallback
    kind, rows = facts["kind"], facts.get("rows") or {}
    values = {
        "k": facts.get("folds") or 0,
        "r": facts.get("repeats") or 1,
        "column": facts.get("column") or "",
        "train": rows.get("train", 0),
        "valid": rows.get("valid", 0),
        "test": rows.get("test", 0),
    }
    percent = facts.get("percent") or {}
    if kind == "holdout" and percent:
        key = "labels.split_holdout_percent"
        values.update({f"{p}_pct": percent.get(p, 0) for p in ("train", "valid", "test")})
    elif kind == "time" and not facts.get("column"):
        key = "labels.split_time_rows"
    else:
        key = f"labels.split_{kind}"
    text = translate_or(lang, key, fallback, **values)
    if kind in ("cv", "repeated_cv", "group") and "test" in rows:
        test_key = "labels.split_test_rows" if rows["test"] else "labels.split_no_test"
        text += translate(lang, test_key, test=rows["test"])
    if facts.get("stratified"):
        text += translate(lang, "labels.split_stratified")
    return text
