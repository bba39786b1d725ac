"""The text a user reads inside a Plotly figure, and the English words in it (test helper)."""

import re
from typing import Any

WORD = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
# hover-template variables and formats (%{y}, %{z:.3f}) and HTML tags are code, not words
TEMPLATE = re.compile(r"%\{[^}]*\}|<[^>]*>")


def shown_texts(figure: dict[str, Any]) -> dict[str, str]:
    """Every text a user reads in a figure, by path (titles, names, hovers, notes...)."""
    found: dict[str, str] = {}

    def add(path: str, value: Any) -> None:
        if isinstance(value, str) and value:
            found[path] = value
        elif isinstance(value, dict):
            add(f"{path}.text", value.get("text"))
        elif isinstance(value, list):
            for i, v in enumerate(value):
                if isinstance(v, str) and v:
                    found[f"{path}.{i}"] = v

    layout = figure.get("layout") or {}
    add("layout.title", layout.get("title"))
    for name, part in layout.items():
        if isinstance(part, dict) and re.match(r"^(xaxis|yaxis|legend)\d*$", name):
            add(f"layout.{name}.title", part.get("title"))
    for i, note in enumerate(layout.get("annotations") or []):
        add(f"layout.annotations.{i}.text", note.get("text"))
    for i, trace in enumerate(figure.get("data") or []):
        for key in ("name", "hovertemplate", "text"):
            add(f"data.{i}.{key}", trace.get(key))
        for j, dim in enumerate(trace.get("dimensions") or []):
            add(f"data.{i}.dimensions.{j}.label", dim.get("label"))
            add(f"data.{i}.dimensions.{j}.values", dim.get("values"))
        if trace.get("type") == "bar" and (layout.get("xaxis") or {}).get("type") == "category":
            add(f"data.{i}.x", trace.get("x"))
    return found


def english(text: str, allowed: set[str]) -> list[str]:
    return [w for w in WORD.findall(TEMPLATE.sub(" ", text)) if w.lower() not in allowed]
