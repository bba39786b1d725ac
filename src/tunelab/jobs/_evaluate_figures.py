"""Plotly figure JSON (``{"data": [...], "layout": {...}}``) from evaluation plot data.

Input is the ``curves`` dict of ``tunelab.evaluation.evaluate_predictions`` and the output
of ``permutation_importance``; no plotly import is needed (figures are plain dicts).
"""

import itertools
from typing import Any

BLUE, ORANGE, GREEN, GREY = "#2563eb", "#ea580c", "#16a34a", "#9ca3af"

CLASSIFICATION_PLOTS = (
    "roc",
    "pr",
    "confusion_matrix",
    "threshold",
    "calibration",
    "lift",
    "gain",
    "importance",
)
REGRESSION_PLOTS = ("prediction_error", "residuals", "residual_histogram", "importance")


def _layout(x: str, y: str, **extra: Any) -> dict[str, Any]:
    return {
        "xaxis": {"title": {"text": x}},
        "yaxis": {"title": {"text": y}},
        "margin": {"l": 60, "r": 20, "t": 30, "b": 50},
        "legend": {"orientation": "h", "y": -0.2},
        **extra,
    }


def _diagonal(name: str = "chance") -> dict[str, Any]:
    return {
        "type": "scatter",
        "mode": "lines",
        "x": [0, 1],
        "y": [0, 1],
        "name": name,
        "line": {"dash": "dash", "color": GREY},
    }


def _curves(data: dict[str, Any], x: str, y: str, score: str, label: str) -> list[dict[str, Any]]:
    """One line per curve: the binary one, or one per class (one-vs-rest)."""
    curves = {"positive class": data["binary"]} if data.get("binary") else {}
    curves.update(data.get("per_class") or {})
    return [
        {
            "type": "scatter",
            "mode": "lines",
            "x": curve[x],
            "y": curve[y],
            "name": f"{name} ({label} {curve[score]:.3f})",
        }
        for name, curve in curves.items()
        if curve
    ]


def roc_figure(data: dict[str, Any]) -> dict[str, Any]:
    traces = _curves(data, "fpr", "tpr", "auc", "AUC")
    return {
        "data": [*traces, _diagonal()],
        "layout": _layout("False positive rate", "True positive rate"),
    }


def pr_figure(data: dict[str, Any]) -> dict[str, Any]:
    traces = _curves(data, "recall", "precision", "average_precision", "AP")
    return {
        "data": traces,
        "layout": _layout(
            "Recall", "Precision", yaxis={"title": {"text": "Precision"}, "range": [0, 1.05]}
        ),
    }


def confusion_figure(data: dict[str, Any]) -> dict[str, Any]:
    labels = data["labels"]
    text = [
        [f"{count}<br>({rate:.0%})" for count, rate in zip(row, rates, strict=True)]
        for row, rates in zip(data["matrix"], data["normalized"], strict=True)
    ]
    heatmap = {
        "type": "heatmap",
        "x": labels,
        "y": labels,
        "z": data["normalized"],
        "text": text,
        "texttemplate": "%{text}",
        # white for 0 % up to dark blue for 100 %: empty cells are the lightest
        "colorscale": [[0.0, "#f7fbff"], [0.5, "#6baed6"], [1.0, "#08306b"]],
        "zmin": 0,
        "zmax": 1,
        "hovertemplate": "true %{y}, predicted %{x}: %{text}<extra></extra>",
    }
    layout = _layout("Predicted class", "True class")
    layout["xaxis"]["type"] = layout["yaxis"]["type"] = "category"
    layout["yaxis"]["autorange"] = "reversed"
    return {"data": [heatmap], "layout": layout}


def threshold_figure(data: dict[str, Any]) -> dict[str, Any]:
    traces = [
        {
            "type": "scatter",
            "mode": "lines",
            "x": data["thresholds"],
            "y": data[key],
            "name": name,
            "line": {"color": color},
        }
        for key, name, color in (
            ("precision", "Precision", BLUE),
            ("recall", "Recall", ORANGE),
            ("f1", "F1", GREEN),
        )
    ]
    best = data["best_threshold"]
    layout = _layout("Threshold", "Score", yaxis={"title": {"text": "Score"}, "range": [0, 1.05]})
    layout["shapes"] = [
        {
            "type": "line",
            "x0": best,
            "x1": best,
            "y0": 0,
            "y1": 1,
            "yref": "paper",
            "line": {"dash": "dot", "color": GREY},
        }
    ]
    layout["annotations"] = [
        {
            "x": best,
            "y": 1,
            "yref": "paper",
            "text": f"best F1 {data['best_f1']:.3f} @ {best:.2f}",
            "showarrow": False,
            "yanchor": "bottom",
        }
    ]
    return {"data": traces, "layout": layout}


def calibration_figure(data: dict[str, Any]) -> dict[str, Any]:
    bins = data["bins"]
    points = {
        "type": "scatter",
        "mode": "lines+markers",
        "x": [b["mean_predicted"] for b in bins],
        "y": [b["fraction_positive"] for b in bins],
        "text": [f"{b['count']} rows" for b in bins],
        "name": f"model (ECE {data['ece']:.3f})",
    }
    x = (
        "Mean predicted probability"
        if data["kind"] == "positive_class"
        else "Top-label confidence"
    )
    y = "Fraction of positives" if data["kind"] == "positive_class" else "Fraction correct"
    return {"data": [points, _diagonal("perfectly calibrated")], "layout": _layout(x, y)}


def _curve_with_reference(
    x: list[Any], y: list[Any], name: str, reference: tuple[list[float], str]
) -> list[dict[str, Any]]:
    """A line over % of rows, and the dashed reference line (``([y0, y1], name)``) it beats."""
    line = {"type": "scatter", "mode": "lines", "x": x, "y": y, "name": name}
    ref_y, ref_name = reference
    base = {
        "type": "scatter",
        "mode": "lines",
        "x": [0, 100],
        "y": ref_y,
        "name": ref_name,
        "line": {"dash": "dash", "color": GREY},
    }
    return [line, base]


def lift_figure(data: dict[str, Any]) -> dict[str, Any]:
    traces = _curve_with_reference(data["percent"], data["lift"], "lift", ([1, 1], "baseline"))
    return {"data": traces, "layout": _layout("% of rows (highest scores first)", "Lift")}


def gain_figure(data: dict[str, Any]) -> dict[str, Any]:
    traces = _curve_with_reference(
        data["percent"], data["gain"], "cumulative gain", ([0, 1], "random")
    )
    return {
        "data": traces,
        "layout": _layout("% of rows (highest scores first)", "Share of positives found"),
    }


def prediction_error_figure(data: dict[str, Any]) -> dict[str, Any]:
    actual, predicted = data["actual"], data["predicted"]
    values = [v for v in actual + predicted if v is not None]
    lo, hi = (min(values), max(values)) if values else (0.0, 1.0)
    points = {
        "type": "scatter",
        "mode": "markers",
        "x": actual,
        "y": predicted,
        "name": "rows",
        "marker": {"size": 6, "opacity": 0.7},
    }
    ideal = {
        "type": "scatter",
        "mode": "lines",
        "x": [lo, hi],
        "y": [lo, hi],
        "name": "perfect prediction",
        "line": {"dash": "dash", "color": GREY},
    }
    return {"data": [points, ideal], "layout": _layout("Actual", "Predicted")}


def residuals_figure(data: dict[str, Any]) -> dict[str, Any]:
    points = {
        "type": "scatter",
        "mode": "markers",
        "x": data["predicted"],
        "y": data["residual"],
        "name": "rows",
        "marker": {"size": 6, "opacity": 0.7},
    }
    layout = _layout("Predicted", "Residual (actual - predicted)")
    layout["shapes"] = [
        {
            "type": "line",
            "x0": 0,
            "x1": 1,
            "xref": "paper",
            "y0": 0,
            "y1": 0,
            "line": {"dash": "dash", "color": GREY},
        }
    ]
    return {"data": [points], "layout": layout}


def residual_histogram_figure(data: dict[str, Any]) -> dict[str, Any]:
    edges, counts = data["edges"], data["counts"]
    centers = [(a + b) / 2 for a, b in itertools.pairwise(edges)]
    bars = {"type": "bar", "x": centers, "y": counts, "name": "rows", "marker": {"color": BLUE}}
    return {"data": [bars], "layout": _layout("Residual", "Rows", bargap=0.05)}


def importance_figure(importance: list[Any], top: int = 30) -> dict[str, Any]:
    rows = list(importance)[:top][::-1]  # largest at the top of a horizontal bar chart
    bars = {
        "type": "bar",
        "orientation": "h",
        "x": [row[1] for row in rows],
        "y": [str(row[0]) for row in rows],
        "error_x": {"type": "data", "array": [row[2] for row in rows]},
        "name": "mean score drop",
        "marker": {"color": BLUE},
    }
    layout = _layout("Drop in score when shuffled", "")
    layout["yaxis"]["automargin"] = True
    layout["height"] = max(300, 24 * len(rows) + 100)
    return {"data": [bars], "layout": layout}


def build_figures(
    task: str, curves: dict[str, Any], importance: list[Any] | None
) -> dict[str, dict[str, Any]]:
    """Every figure the data allows, by plot name (threshold/lift/gain: binary only)."""
    figures: dict[str, dict[str, Any]] = {}
    if task == "regression":
        if "prediction_error" in curves:
            figures["prediction_error"] = prediction_error_figure(curves["prediction_error"])
            figures["residuals"] = residuals_figure(curves["residuals"])
            figures["residual_histogram"] = residual_histogram_figure(curves["residual_histogram"])
    else:
        builders = (
            ("roc", "roc", roc_figure),
            ("pr", "pr", pr_figure),
            ("confusion_matrix", "confusion_matrix", confusion_figure),
            ("threshold", "threshold", threshold_figure),
            ("calibration", "calibration", calibration_figure),
            ("lift", "lift_gain", lift_figure),
            ("gain", "lift_gain", gain_figure),
        )
        for name, key, build in builders:
            if curves.get(key):
                figures[name] = build(curves[key])
    if importance:
        figures["importance"] = importance_figure(importance)
    return figures
