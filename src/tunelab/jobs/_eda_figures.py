"""Plotly figures of exploratory data analysis, built on a bounded sample of a table.

Every function takes a frame already coerced to its column kinds (numbers as float,
categories as str) and returns a figure as a plain JSON-ready dict (``data``, ``layout``).

Figures stay language-neutral: their words are written in English and also named in
``layout.meta.tunelab_i18n``, a list of slots the web UI translates (``docs/web.md``):
``{"path": "layout.title.text", "key": "charts.eda_pairplot", "args": {...}}`` (an arg is
data, kept as is, or ``{"key": ...}``, a word to translate) or ``{"path": "data.0.x",
"replace": {"(other)": "charts.eda_other", ...}}`` (pooled levels inside data arrays).
"""

import math
from typing import Any

import numpy as np
import pandas as pd

from tunelab.entities.columns import ColumnKind
from tunelab.jobs._eda_plotly import (
    COUNT,
    MISSING,
    OTHER,
    PARCATS_HOVER,
    count_axis,
    figure,
    kind_term,
    levels_slot,
    needs,
    note,
    rounded,
    text_slot,
    trace_name_slots,
)

MAX_ROWS = 5_000  # rows sampled for every figure
MAX_PAIR = 12  # numeric columns in the pair plot and parallel coordinates
MAX_CORR = 30  # columns in the correlation matrix
MAX_SPLOM_ROWS = 2_000  # points per pair-plot panel
MAX_PARCATS = 8  # columns in the parallel categories diagram
MAX_LEVELS = 12  # levels per column shown before pooling into "(other)"
MAX_BARS = 30  # bars in a categorical distribution
MAX_VARIABLES = 200  # columns given a variable-analysis figure
BINS = 30
_CONTINUOUS = "Viridis"
# one colour per class (Plotly's default qualitative palette), repeated past ten classes
PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)


def class_colorscale(n: int) -> list[list[Any]]:
    """A stepped colour scale giving class code ``i`` (of ``n``) the colour ``PALETTE[i]``."""
    if n <= 1:
        return [[0.0, PALETTE[0]], [1.0, PALETTE[0]]]
    steps: list[list[Any]] = []
    for i in range(n):
        colour = PALETTE[i % len(PALETTE)]
        steps += [[i / n, colour], [(i + 1) / n, colour]]
    return steps


def class_colorbar(title: str, labels: list[str]) -> dict[str, Any]:
    """A colour bar that reads as a legend: one tick per class, at the middle of its colour."""
    return {
        "title": {"text": title},
        "tickvals": list(range(len(labels))),
        "ticktext": labels,
        "len": min(1.0, 0.1 + 0.08 * len(labels)),
    }


def sample_rows(df: pd.DataFrame, n: int = MAX_ROWS, seed: int = 0) -> pd.DataFrame:
    """At most ``n`` rows, drawn at random (reproducibly) and kept in file order."""
    return df if len(df) <= n else df.sample(n=n, random_state=seed).sort_index()


def numeric_columns(kinds: dict[str, ColumnKind], target: str | None) -> list[str]:
    kept = (ColumnKind.NUMERIC, ColumnKind.BOOLEAN)
    return [c for c, k in kinds.items() if k in kept and c != target]


def target_codes(y: pd.Series, classification: bool) -> tuple[list[Any], list[str]]:
    """Colour values for the target: class codes (with labels) or the numbers themselves."""
    if not classification:
        return rounded(y.to_numpy(dtype=float)), []
    values = y.dropna()
    if pd.api.types.is_numeric_dtype(values):
        labels = [str(v) for v in sorted(values.unique().tolist())]
        y = y.map(lambda v: str(v) if pd.notna(v) else None)
    else:
        labels = sorted(values.astype(str).unique())
    index = {label: i for i, label in enumerate(labels)}
    return [
        index.get(v) if isinstance(v, str) else None for v in y.astype(str).where(y.notna())
    ], labels


def rank_columns(frame: pd.DataFrame, columns: list[str], target: str | None, k: int) -> list[str]:
    """The ``k`` columns most related to the target (|correlation|, or the correlation
    ratio for a categorical target); in table order without a target."""
    if target is None or len(columns) <= k:
        return columns[:k]
    y = frame[target]
    scores: dict[str, float] = {}
    for col in columns:
        x = frame[col]
        if pd.api.types.is_numeric_dtype(y):
            value = x.corr(y.astype(float))
        else:
            total = x.var()
            value = x.groupby(y).mean().var() / total if total and total > 0 else 0.0
        scores[col] = abs(value) if value is not None and math.isfinite(value) else 0.0
    return sorted(columns, key=lambda c: -scores[c])[:k]


def correlation(frame: pd.DataFrame, columns: list[str]) -> dict[str, Any]:
    """Pearson correlation heatmap of numeric columns."""
    if len(columns) < 2:
        return needs(
            "Correlation matrix",
            "charts.eda_correlation_empty",
            "needs at least two numeric columns",
            "charts.eda_needs_two_numeric",
        )
    matrix = frame[columns].astype(float).corr()
    z = [rounded(row) for row in matrix.to_numpy()]
    trace: dict[str, Any] = {
        "type": "heatmap",
        "z": z,
        "x": columns,
        "y": columns,
        "zmin": -1,
        "zmax": 1,
        "colorscale": "RdBu",
        "hovertemplate": "%{y} × %{x}: %{z:.3f}<extra></extra>",
    }
    if len(columns) <= 15:
        trace["texttemplate"] = "%{z:.2f}"
    # labels as long as they are: the margins grow to hold them (automargin)
    return figure(
        [trace],
        i18n=[text_slot("layout.title.text", "charts.eda_correlation")],
        title={"text": "Correlation matrix (Pearson)"},
        xaxis={"automargin": True, "tickangle": -45, "type": "category"},
        yaxis={"autorange": "reversed", "automargin": True, "type": "category"},
        height=max(450, 28 * len(columns) + 200),
    )


def pairplot(
    frame: pd.DataFrame, columns: list[str], color: list[Any], labels: list[str]
) -> dict[str, Any]:
    """Scatter-plot matrix of numeric columns, coloured by the target."""
    if len(columns) < 2:
        return needs(
            "Pair plot",
            "charts.eda_pairplot",
            "needs at least two numeric columns",
            "charts.eda_needs_two_numeric",
        )
    rows = frame.index[:MAX_SPLOM_ROWS]
    picked = [color[i] for i in range(min(len(color), MAX_SPLOM_ROWS))] if color else []

    def splom(positions: list[int], marker: dict[str, Any], **extra: Any) -> dict[str, Any]:
        dims = [
            {"label": c, "values": rounded(frame.loc[rows[positions], c].to_numpy(dtype=float))}
            for c in columns
        ]
        return {
            "type": "splom",
            "dimensions": dims,
            "marker": {"size": 3, "opacity": 0.6, **marker},
            "showupperhalf": False,
            "diagonal": {"visible": False},
            **extra,
        }

    everything = list(range(len(rows)))
    if labels and picked:  # one trace per class: the legend names each colour
        traces = [
            splom(
                [i for i, code in enumerate(picked) if code == k],
                {"color": PALETTE[k % len(PALETTE)]},
                name=label,
                showlegend=True,
            )
            for k, label in enumerate(labels)
        ]
    elif picked:  # a numeric target: a colour bar is the legend
        traces = [
            splom(everything, {"color": picked, "colorscale": _CONTINUOUS, "showscale": True})
        ]
    else:
        traces = [splom(everything, {})]
    size = max(500, 110 * len(columns))
    return figure(
        traces,
        i18n=[text_slot("layout.title.text", "charts.eda_pairplot")],
        title={"text": "Pair plot"},
        height=size,
        dragmode="select",
        hovermode="closest",
        legend={"itemsizing": "constant"},
    )


def parallel_coordinates(
    frame: pd.DataFrame,
    columns: list[str],
    target: str | None,
    color: list[Any],
    labels: list[str],
) -> dict[str, Any]:
    """Parallel coordinates (drag on an axis to filter a range) with the target last."""
    if not columns:
        return needs(
            "Parallel coordinates",
            "charts.eda_parallel_coordinates",
            "needs numeric columns",
            "charts.eda_needs_numeric",
        )
    dims: list[dict[str, Any]] = [
        {"label": c, "values": rounded(frame[c].to_numpy(dtype=float))} for c in columns
    ]
    line: dict[str, Any] = {}
    if target is not None and color:
        values = [v if v is not None else float("nan") for v in color]
        dim: dict[str, Any] = {"label": target, "values": rounded(values)}
        if labels:
            dim.update(tickvals=list(range(len(labels))), ticktext=labels)
        dims.append(dim)
        if labels:  # a stepped scale whose colour bar lists the classes (the legend)
            line = {
                "color": rounded(values),
                "colorscale": class_colorscale(len(labels)),
                "cmin": -0.5,
                "cmax": len(labels) - 0.5,
                "showscale": True,
                "colorbar": class_colorbar(target, labels),
            }
        else:
            line = {
                "color": rounded(values),
                "colorscale": _CONTINUOUS,
                "showscale": True,
                "colorbar": {"title": {"text": target}},
            }
    trace = {"type": "parcoords", "dimensions": dims, "line": line}
    # no figure title: it would collide with the axis labels at the top
    return figure([trace], i18n=[], height=500, margin={"l": 70, "r": 120, "t": 60, "b": 40})


def _levels(s: pd.Series, limit: int = MAX_LEVELS) -> list[str]:
    """Values as strings; rare levels pooled into "(other)", missing as "(missing)"."""
    text = s.astype(str).where(s.notna(), MISSING)
    top = set(text.value_counts().index[:limit])
    return [v if v in top else OTHER for v in text.tolist()]


def parallel_categories(
    frame: pd.DataFrame, columns: list[str], target: str | None, classification: bool
) -> dict[str, Any]:
    """Parallel categories of the categorical (and few-valued) columns, target last."""
    if not columns and target is None:
        return needs(
            "Parallel categories",
            "charts.eda_parallel_categories",
            "needs categorical columns",
            "charts.eda_needs_categorical",
        )
    dims = [{"label": c, "values": _levels(frame[c])} for c in columns]
    line: dict[str, Any] = {}
    if target is not None:
        y = frame[target]
        shown = _levels(y) if classification else _bins(y)
        dims.append({"label": target, "values": shown})
        order = sorted(set(shown))
        line = {
            "color": [order.index(v) for v in shown],
            "colorscale": _CONTINUOUS,
            "shape": "hspline",
        }
    trace = {
        "type": "parcats",
        "dimensions": dims,
        "line": line,
        "hoveron": "color",
        "hovertemplate": PARCATS_HOVER,
    }
    i18n = [text_slot("data.0.hovertemplate", "charts.eda_parcats_hover")]
    i18n += [levels_slot(f"data.0.dimensions.{i}.values") for i in range(len(dims))]
    extra: dict[str, Any] = {}
    if not columns:  # say why there is a single axis
        i18n.append(text_slot("layout.annotations.0.text", "charts.eda_parcats_target_only"))
        extra["annotations"] = [
            {
                "text": "Only the target is shown: no categorical column (nor a number "
                "with 10 values or fewer) to draw against it",
                "showarrow": False,
                "xref": "paper",
                "yref": "paper",
                "x": 0.5,
                "y": 1.08,
                "font": {"size": 13},
            }
        ]
    top = 70 if not columns else 40
    return figure(
        [trace],
        i18n=i18n,
        height=500,
        margin={"l": 70, "r": 70, "t": top, "b": 40},
        **extra,
    )


def _bins(y: pd.Series, n: int = 5) -> list[str]:
    """A numeric target cut into quantile ranges (for categorical views)."""
    cut = pd.qcut(y.astype(float), q=n, duplicates="drop")
    return [str(v) if isinstance(v, pd.Interval) else MISSING for v in cut.tolist()]


def category_columns(
    frame: pd.DataFrame, kinds: dict[str, ColumnKind], target: str | None
) -> list[str]:
    """Categorical/boolean columns and numbers with at most 10 values, fewest levels first."""
    found = []
    for col, kind in kinds.items():
        if col == target or col not in frame:
            continue
        n = frame[col].nunique()
        if kind in (ColumnKind.CATEGORICAL, ColumnKind.BOOLEAN) or (
            kind is ColumnKind.NUMERIC and n <= 10
        ):
            found.append((n, col))
    return [col for _, col in sorted(found)[:MAX_PARCATS]]


# ----- variable analysis -------------------------------------------------------------------
def distribution(frame: pd.DataFrame, col: str, kind: ColumnKind) -> dict[str, Any]:
    """One column's distribution: a histogram for numbers, bar counts for the others."""
    s = frame[col]
    missing = int(s.isna().sum())
    if missing:
        title = {"text": f"{col} ({kind.value}) — {missing} missing"}
        named = text_slot(
            "layout.title.text",
            "charts.eda_distribution_missing",
            column=col,
            kind=kind_term(kind),
            missing=str(missing),
        )
    else:
        title = {"text": f"{col} ({kind.value})"}
        named = text_slot(
            "layout.title.text", "charts.eda_distribution", column=col, kind=kind_term(kind)
        )
    if kind in (ColumnKind.ID, ColumnKind.TEXT):
        distinct, rows = str(s.nunique()), str(len(s))
        return note(
            title["text"],
            f"{distinct} distinct values in {rows} sampled rows",
            named,
            text_slot("", "charts.eda_distinct_values", distinct=distinct, rows=rows),
        )
    if kind is ColumnKind.NUMERIC:
        values = s.dropna().to_numpy(dtype=float)
        values = values[np.isfinite(values)]
        if values.size == 0:
            return note(title["text"], "no values", named, text_slot("", "charts.eda_no_values"))
        counts, edges = np.histogram(values, bins=min(BINS, max(1, len(np.unique(values)))))
        centers = (edges[:-1] + edges[1:]) / 2
        trace = {
            "type": "bar",
            "x": rounded(centers),
            "y": counts.tolist(),
            "width": rounded(np.diff(edges)),
            "name": col,
        }
        return figure(
            [trace],
            i18n=[named, count_axis()],
            title=title,
            bargap=0.02,
            xaxis={"title": {"text": col}},
            yaxis={"title": {"text": COUNT}},
        )
    if kind is ColumnKind.DATETIME:
        text = s.dt.strftime("%Y-%m").where(s.notna(), MISSING)
        tally = text.value_counts().sort_index()
    else:
        tally = s.astype(str).where(s.notna(), MISSING).value_counts().head(MAX_BARS)
    trace = {"type": "bar", "x": [str(v) for v in tally.index], "y": tally.tolist(), "name": col}
    return figure(
        [trace],
        i18n=[named, count_axis(), levels_slot("data.0.x")],
        title=title,
        xaxis={"type": "category", "title": {"text": col}},
        yaxis={"title": {"text": COUNT}},
    )


def against_target(
    frame: pd.DataFrame, col: str, kind: ColumnKind, target: str, classification: bool
) -> dict[str, Any]:
    """A column against the target: boxes/stacked bars by class, scatter/boxes for a number."""
    title = {"text": f"{col} vs {target}"}
    named = text_slot("layout.title.text", "charts.eda_against", column=col, target=target)
    x, y = frame[col], frame[target]
    numeric = kind in (ColumnKind.NUMERIC, ColumnKind.BOOLEAN)
    if kind in (ColumnKind.ID, ColumnKind.TEXT, ColumnKind.DATETIME):
        return note(
            title["text"],
            f"{kind.value} columns are not compared with the target",
            named,
            text_slot("", "charts.eda_not_compared", kind=kind_term(kind)),
        )
    if classification:
        classes = _levels(y)
        order = sorted(set(classes))
        if numeric:
            traces = [
                {
                    "type": "box",
                    "y": rounded(x[[c == k for c in classes]].to_numpy(dtype=float)),
                    "name": k,
                    "boxpoints": False,
                }
                for k in order
            ]
            return figure(
                traces,
                i18n=[named, *trace_name_slots(traces)],
                title=title,
                xaxis={"title": {"text": target}, "type": "category"},
                yaxis={"title": {"text": col}},
            )
        levels = pd.Series(_levels(x, MAX_BARS), index=frame.index)
        table = pd.crosstab(levels, pd.Series(classes, index=frame.index))
        traces = [
            {
                "type": "bar",
                "x": [str(v) for v in table.index],
                "y": table[k].tolist(),
                "name": str(k),
            }
            for k in table.columns
        ]
        bars = [levels_slot(f"data.{i}.x") for i in range(len(traces))]
        return figure(
            traces,
            i18n=[named, count_axis(), *trace_name_slots(traces), *bars],
            title=title,
            barmode="stack",
            xaxis={"type": "category", "title": {"text": col}},
            yaxis={"title": {"text": COUNT}},
            legend={"title": {"text": target}},
        )
    yv = y.to_numpy(dtype=float)
    if numeric:
        rows = slice(0, MAX_SPLOM_ROWS)
        trace = {
            "type": "scattergl",
            "mode": "markers",
            "x": rounded(x.to_numpy(dtype=float)[rows]),
            "y": rounded(yv[rows]),
            "marker": {"size": 4, "opacity": 0.5},
            "name": col,
        }
        return figure(
            [trace],
            i18n=[named],
            title=title,
            xaxis={"title": {"text": col}},
            yaxis={"title": {"text": target}},
        )
    groups = _levels(x)
    traces = [
        {"type": "box", "y": rounded(yv[[v == k for v in groups]]), "name": k, "boxpoints": False}
        for k in sorted(set(groups))
    ]
    return figure(
        traces,
        i18n=[named, *trace_name_slots(traces)],
        title=title,
        showlegend=False,
        xaxis={"title": {"text": col}, "type": "category"},
        yaxis={"title": {"text": target}},
    )
