"""The clustering report: Markdown + HTML (offline plotly figures) + report.json.

Layout::

    <out_dir>/report/README.md      leaderboard, k selection, sizes, profiles, samples
    <out_dir>/report/index.html     the same with interactive figures
    <out_dir>/report/plotly.min.js  plotly.js from the installed plotly package (no CDN)
    <out_dir>/report/report.json    the whole summary
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from tabulate import tabulate

from tunelab.clustering._summary import cluster_name
from tunelab.evaluation import jsonable

BOARD_ROWS = 20
BOARD_COLUMNS = (
    "rank",
    "algorithm",
    "scaling",
    "reduction",
    "k",
    "n_clusters",
    "noise_ratio",
    "silhouette",
    "calinski_harabasz",
    "davies_bouldin",
    "adjusted_rand",
    "adjusted_mutual_info",
    "mean_rank",
    "fit_time",
    "status",
)
PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173",
)  # fmt: skip
NOISE_COLOR = "#bbbbbb"


def color(label: int) -> str:
    return NOISE_COLOR if label < 0 else PALETTE[label % len(PALETTE)]


def fmt(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if value != value:  # NaN
            return ""
        return f"{value:.4g}"
    if isinstance(value, dict):
        return f"{value.get('value')} ({value.get('share', 0):.0%})"
    return str(value)


def _board(summary: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    rows = summary["leaderboard"][:BOARD_ROWS]
    headers = [c for c in BOARD_COLUMNS if any(r.get(c) is not None for r in rows)]
    return headers, [[fmt(r.get(c)) for c in headers] for r in rows]


def _profile_table(summary: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    keys = [str(s["cluster"]) for s in summary["sizes"]]
    headers = ["column", "all rows", *[cluster_name(int(k)) for k in keys]]
    rows = [
        [p["column"], fmt(p["overall"]), *[fmt(p["clusters"].get(k)) for k in keys]]
        for p in summary["profiles"]
    ]
    return headers, rows


def _markdown(summary: dict[str, Any]) -> str:
    best = summary["best"]
    k = summary["k_selection"]
    lines = [
        "# Clustering report",
        "",
        f"{summary['dataset']['n_rows']} rows, {summary['dataset']['n_features']} columns; "
        f"{summary['n_candidates']} candidates in {summary['fit_time']:.1f} s "
        f"(stopped: {summary['stop_reason']}).",
        "",
        f"**Chosen:** {best['algorithm']} ({best['params']}), scaling {best['scaling']}, "
        f"reduction {best['reduction']}: **{best['n_clusters']} clusters**.",
        "",
        f"**Choice rule:** {k['rule']}.",
        "",
        f"k mode: {k['mode']}; k tried: {', '.join(map(str, k['k_values']))}; "
        f"inertia elbow at k = {k['elbow_k']}; lowest Gaussian-mixture BIC at k = {k['bic_k']}.",
    ]
    if summary.get("label_scores"):
        ls = summary["label_scores"]
        lines += [
            "",
            f"Against the label column {summary['label']!r} (never used to fit): adjusted Rand "
            f"{ls['adjusted_rand']:.4f}, adjusted mutual information "
            f"{ls['adjusted_mutual_info']:.4f}.",
        ]
    headers, rows = _board(summary)
    lines += ["", "## Leaderboard", "", tabulate(rows, headers=headers, tablefmt="github")]
    sizes = [[s["name"], s["rows"], f"{s['share']:.1%}"] for s in summary["sizes"]]
    lines += ["", "## Cluster sizes", "", tabulate(sizes, ["cluster", "rows", "share"], "github")]
    headers, rows = _profile_table(summary)
    lines += [
        "",
        "## Cluster profiles",
        "",
        "Numbers: mean (the centroid in original units); other columns: most frequent value.",
        "",
        tabulate(rows, headers=headers, tablefmt="github"),
        "",
        "## Sample rows",
    ]
    for key, records in summary["samples"].items():
        lines += ["", f"### {cluster_name(int(key))}", ""]
        if records:
            lines.append(
                tabulate(
                    [[fmt(v) for v in r.values()] for r in records], list(records[0]), "github"
                )
            )
    lines += ["", "Figures (2-D projection, parallel coordinates): see index.html.", ""]
    return "\n".join(lines)


def _figures(summary: dict[str, Any]) -> list[str]:
    import plotly.graph_objects as go

    figs: list[Any] = []
    sizes = summary["sizes"]
    figs.append(
        go.Figure(
            go.Pie(
                labels=[s["name"] for s in sizes],
                values=[s["rows"] for s in sizes],
                marker={"colors": [color(s["cluster"]) for s in sizes]},
                sort=False,
            ),
            layout={"title": {"text": "Cluster sizes"}},
        )
    )
    k = summary["k_selection"]
    if k["inertia"]["k"] or k["bic"]["k"]:
        fig = go.Figure(layout={"title": {"text": "Choosing k: k-means inertia and mixture BIC"}})
        fig.add_scatter(x=k["inertia"]["k"], y=k["inertia"]["value"], name="inertia")
        fig.add_scatter(x=k["bic"]["k"], y=k["bic"]["value"], name="BIC", yaxis="y2")
        fig.update_layout(
            xaxis={"title": {"text": "k"}},
            yaxis={"title": {"text": "inertia"}},
            yaxis2={"title": {"text": "BIC"}, "overlaying": "y", "side": "right"},
        )
        figs.append(fig)
    proj = summary["projection"]
    fig = go.Figure(
        layout={
            "title": {"text": "Rows on the first two principal components"},
            "xaxis": {"title": {"text": f"PC1 ({proj['explained_variance'][0]:.0%})"}},
            "yaxis": {"title": {"text": f"PC2 ({proj['explained_variance'][1]:.0%})"}},
        }
    )
    for s in sizes:
        idx = [i for i, c in enumerate(proj["cluster"]) if c == s["cluster"]]
        fig.add_scattergl(
            x=[proj["x"][i] for i in idx],
            y=[proj["y"][i] for i in idx],
            mode="markers",
            name=s["name"],
            marker={"color": color(s["cluster"]), "size": 5},
        )
    figs.append(fig)
    par = summary["parallel"]
    if par["columns"]:
        labels = par["cluster"]
        top = max(max(labels), 0)
        scale = [[0.0, NOISE_COLOR]] if min(labels) < 0 else []
        low = -1 if scale else 0
        span = max(top - low, 1)
        for c in range(0, top + 1):
            scale.append([(c - low) / span, color(c)])
        if len(scale) == 1:
            scale.append([1.0, scale[0][1]])
        figs.append(
            go.Figure(
                go.Parcoords(
                    line={"color": labels, "colorscale": scale, "cmin": low, "cmax": low + span},
                    dimensions=[
                        {"label": "cluster", "values": labels},
                        *[{"label": name, "values": v} for name, v in par["columns"].items()],
                    ],
                ),
                layout={"title": {"text": "Parallel coordinates by cluster"}},
            )
        )
    return [f.to_html(full_html=False, include_plotlyjs=False) for f in figs]


def _html_table(headers: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2em;max-width:1200px}"
    "table{border-collapse:collapse;margin:1em 0;font-size:0.9em}"
    "td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}th{background:#f3f3f3}"
)


def _html(summary: dict[str, Any], figures: list[str]) -> str:
    best = summary["best"]
    k = summary["k_selection"]
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<title>Clustering report</title><script src='plotly.min.js'></script>",
        f"<style>{_STYLE}</style></head><body><h1>Clustering report</h1>",
        f"<p>{summary['dataset']['n_rows']} rows, {summary['dataset']['n_features']} columns; "
        f"{summary['n_candidates']} candidates in {summary['fit_time']:.1f} s "
        f"(stopped: {html.escape(summary['stop_reason'])}).</p>",
        f"<p><b>Chosen:</b> {html.escape(best['algorithm'])} ({html.escape(best['params'])}), "
        f"scaling {html.escape(best['scaling'])}, reduction {html.escape(best['reduction'])}: "
        f"<b>{best['n_clusters']} clusters</b>.</p>",
        f"<p><b>Choice rule:</b> {html.escape(k['rule'])}.</p>",
        f"<p>k mode: {k['mode']}; inertia elbow at k = {k['elbow_k']}; lowest BIC at "
        f"k = {k['bic_k']}.</p>",
    ]
    if summary.get("label_scores"):
        ls = summary["label_scores"]
        parts.append(
            f"<p>Against the label column {html.escape(str(summary['label']))!r} (never used "
            f"to fit): adjusted Rand {ls['adjusted_rand']:.4f}, adjusted mutual information "
            f"{ls['adjusted_mutual_info']:.4f}.</p>"
        )
    parts += ["<h2>Leaderboard</h2>", _html_table(*_board(summary)), "<h2>Figures</h2>", *figures]
    parts += ["<h2>Cluster profiles</h2>", _html_table(*_profile_table(summary))]
    parts.append("<h2>Sample rows</h2>")
    for key, records in summary["samples"].items():
        parts.append(f"<h3>{html.escape(cluster_name(int(key)))}</h3>")
        if records:
            parts.append(
                _html_table(list(records[0]), [[fmt(v) for v in r.values()] for r in records])
            )
    parts.append("</body></html>")
    return "\n".join(parts)


def write_cluster_report(out_dir: str | Path, summary: dict[str, Any]) -> Path:
    """Write README.md, index.html (+ plotly.min.js) and report.json under ``out_dir/report``."""
    from plotly.offline import get_plotlyjs

    root = Path(out_dir) / "report"
    root.mkdir(parents=True, exist_ok=True)
    payload = jsonable(summary)
    (root / "README.md").write_text(_markdown(payload), encoding="utf-8")
    (root / "plotly.min.js").write_text(get_plotlyjs(), encoding="utf-8")
    (root / "index.html").write_text(_html(payload, _figures(payload)), encoding="utf-8")
    (root / "report.json").write_text(
        json.dumps(payload, indent=2, allow_nan=False), encoding="utf-8"
    )
    return root
