"""Plotly figure JSON for the EDA job, with the slots naming its translatable words.

Every figure built here is plain JSON (validated by ``plotly.graph_objects``, without the big
default theme). Its words are named in ``layout.meta.tunelab_i18n`` as slots: a path in the
figure and a catalog key with its arguments, so that the stored figure stays
language-neutral and the web app translates exactly those texts (see
``tunelab.server.ui.chart_text``).
"""

import json
import math
from typing import Any

import numpy as np

from tunelab.entities.columns import ColumnKind

OTHER, MISSING = "(other)", "(missing)"
I18N = "tunelab_i18n"  # layout.meta key naming the figure's words (see the module docstring)
LEVELS = {OTHER: "charts.eda_other", MISSING: "charts.eda_missing"}
COUNT = "count"
PARCATS_HOVER = "count: %{count}<br>share: %{probability:.1%}<extra></extra>"


def rounded(values: Any) -> list[Any]:
    """Floats to 6 significant digits (smaller JSON); NaN and infinities to None."""
    out: list[Any] = []
    for v in np.asarray(values, dtype=float).tolist():
        out.append(float(f"{v:.6g}") if math.isfinite(v) else None)
    return out


def text_slot(path: str, key: str, **args: Any) -> dict[str, Any]:
    """A translatable text at ``path``: catalog ``key`` filled with ``args``."""
    return {"path": path, "key": key, "args": args}


def term(key: str) -> dict[str, str]:
    """An arg of a text slot that is itself a word to translate."""
    return {"key": key}


def kind_term(kind: ColumnKind) -> dict[str, str]:
    return term(f"charts.term_kind_{kind.value}")


def levels_slot(path: str) -> dict[str, Any]:
    """The pooled levels "(other)" and "(missing)" inside the data array (or name) at ``path``."""
    return {"path": path, "replace": LEVELS}


def figure(
    data: list[Any], i18n: list[dict[str, Any]] | None = None, **layout: Any
) -> dict[str, Any]:
    """A figure as JSON: validated by plotly.graph_objects, without the big default theme."""
    import plotly.graph_objects as go

    base = {"margin": {"l": 60, "r": 20, "t": 50, "b": 50}}
    if i18n is not None:  # [] too: a figure without words is not matched by text
        layout["meta"] = {I18N: i18n}
    fig = go.Figure(data=data, layout={**base, **layout})
    plain = json.loads(fig.to_json())
    plain["layout"].pop("template", None)
    return dict(plain)


def note(
    title: str, text: str, title_slot: dict[str, Any], text_slot_: dict[str, Any]
) -> dict[str, Any]:
    """An empty figure that says why there is nothing to draw (``*_slot``: their keys)."""
    return figure(
        [],
        i18n=[
            {**title_slot, "path": "layout.title.text"},
            {**text_slot_, "path": "layout.annotations.0.text"},
        ],
        title={"text": title},
        xaxis={"visible": False},
        yaxis={"visible": False},
        annotations=[{"text": text, "showarrow": False, "font": {"size": 14}}],
    )


def needs(title: str, title_key: str, text: str, text_key: str) -> dict[str, Any]:
    return note(title, text, text_slot("", title_key), text_slot("", text_key))


def count_axis(path: str = "layout.yaxis.title.text") -> dict[str, Any]:
    return text_slot(path, "charts.eda_count")


def trace_name_slots(traces: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Slots for trace names that are pooled levels (the others are class or level values)."""
    return [levels_slot(f"data.{i}.name") for i, t in enumerate(traces) if t["name"] in LEVELS]
