"""The Clusters page ``/models/{id}/clusters`` of a clustering model: the chosen clustering,
the leaderboard (algorithm, reduction, scaling, k, scores), cluster sizes, a profile of each
cluster with sample rows, the rows on two principal components and parallel coordinates by
cluster — from the report the bundle carries."""

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from tunelab.artifacts import ArtifactStore
from tunelab.entities.platform import NotFoundError
from tunelab.server.deps import ArtifactsDep, StoreDep
from tunelab.server.ui.i18n import request_language, translate
from tunelab.server.ui.rendering import render
from tunelab.tracking import MetadataStore

router = APIRouter(include_in_schema=False)

# one color per cluster (noise, -1, is grey), as in the clustering report
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#bcbd22", "#17becf", "#7f7f7f")  # fmt: skip
NOISE = "#b0b0b0"
LEADERBOARD_ROWS = 20
PLOT = (480.0, 320.0, 16.0)  # width, height, margin of the projection (px)


def cluster_color(cluster: int) -> str:
    return NOISE if cluster < 0 else PALETTE[cluster % len(PALETTE)]


def read_cluster_report(artifacts: ArtifactStore, uri: str) -> dict[str, Any] | None:
    """The clustering report of a model's bundle (None: not a clustering model)."""
    manifest_key, report_key = f"{uri}/manifest.json", f"{uri}/report/report.json"
    if not artifacts.exists(manifest_key) or not artifacts.exists(report_key):
        return None
    manifest = json.loads(artifacts.read_bytes(manifest_key))
    if manifest.get("task") != "clustering":
        return None
    report: dict[str, Any] = json.loads(artifacts.read_bytes(report_key))
    return report


def _points(projection: dict[str, Any]) -> list[dict[str, Any]]:
    """The projection's rows as SVG circles inside the plot's margins."""
    xs, ys = projection.get("x") or [], projection.get("y") or []
    if not xs:
        return []
    width, height, margin = PLOT
    x_low, x_high = min(xs), max(xs)
    y_low, y_high = min(ys), max(ys)
    x_span, y_span = (x_high - x_low) or 1.0, (y_high - y_low) or 1.0
    return [
        {
            "x": round(margin + (x - x_low) / x_span * (width - 2 * margin), 1),
            "y": round(height - margin - (y - y_low) / y_span * (height - 2 * margin), 1),
            "color": cluster_color(int(c)),
        }
        for x, y, c in zip(xs, ys, projection["cluster"], strict=True)
    ]


def _profiles(report: dict[str, Any], clusters: list[int]) -> list[dict[str, Any]]:
    """Per column: its overall typical value and each cluster's (mean or most frequent)."""
    rows = []
    for profile in report.get("profiles") or []:
        numeric = profile.get("kind") == "numeric"

        def shown(value: Any, numeric: bool = numeric) -> Any:
            if numeric or not isinstance(value, dict):
                return value
            return f"{value.get('value')} ({value.get('share', 0):.0%})"

        per = profile.get("clusters") or {}
        rows.append(
            {
                "column": profile["column"],
                "numeric": numeric,
                "overall": shown(profile.get("overall")),
                "cells": [shown(per.get(str(c))) for c in clusters],
            }
        )
    return rows


def _cell(value: Any) -> str:
    """A sample cell as shown: floats to 4 significant digits, missing as a dash."""
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _samples(report: dict[str, Any], clusters: list[int]) -> list[dict[str, Any]]:
    """Each cluster's sample rows from the report (``row``: its position in the table)."""
    samples = report.get("samples") or {}
    out = []
    for c in clusters:
        records = samples.get(str(c)) or []
        columns = [k for k in records[0] if k != "row"] if records else []
        rows = [
            {"row": r.get("row"), "values": [_cell(r.get(k)) for k in columns]} for r in records
        ]
        out.append({"cluster": c, "color": cluster_color(c), "columns": columns, "rows": rows})
    return out


def parallel_figure(
    report: dict[str, Any], clusters: list[int], names: dict[int, str], axis: str
) -> dict[str, Any] | None:
    """Parallel coordinates of the report's sampled rows, one line colour per cluster (the
    page's colours), with the Data page's plot code (``tunelab.jobs``): the cluster axis last
    and its colour bar naming the clusters. None when the report has no numeric columns."""
    import pandas as pd

    from tunelab.jobs import parallel_coordinates_figure

    parallel = report.get("parallel") or {}
    columns = parallel.get("columns") or {}
    if not columns or not clusters:
        return None
    frame = pd.DataFrame(
        {name: pd.to_numeric(pd.Series(values, dtype=object)) for name, values in columns.items()}
    )
    code = {c: i for i, c in enumerate(clusters)}
    codes = [code.get(int(c), 0) for c in parallel.get("cluster") or []]
    fig = parallel_coordinates_figure(
        frame, list(frame.columns), axis, codes, [names[c] for c in clusters]
    )
    line = fig["data"][0]["line"]
    steps: list[list[Any]] = []
    for i, c in enumerate(clusters):  # the colours of the sizes chart and the projection
        steps += [
            [i / len(clusters), cluster_color(c)],
            [(i + 1) / len(clusters), cluster_color(c)],
        ]
    line["colorscale"] = steps
    line["showscale"] = False  # the page's legend names the colours
    return fig


def page_context(
    store: MetadataStore, artifacts: ArtifactStore, model_id: str, lang: str = "en"
) -> dict[str, Any]:
    model = store.get_model(model_id)
    report = read_cluster_report(artifacts, model.uri)
    if report is None:
        raise NotFoundError(f"model {model_id!r} is not a clustering model with a report")
    sizes = report.get("sizes") or []
    largest = max((s["rows"] for s in sizes), default=1) or 1
    for size in sizes:
        size["color"] = cluster_color(int(size["cluster"]))
        size["width"] = round(100 * size["rows"] / largest, 1)
    clusters = [int(s["cluster"]) for s in sizes]
    projection = report.get("projection") or {}
    names = {
        c: translate(lang, "clusters.noise") if c < 0 else translate(lang, "clusters.cluster", n=c)
        for c in clusters
    }
    return {
        "parallel": parallel_figure(report, clusters, names, translate(lang, "clusters.axis")),
        "legend": [
            {"cluster": c, "name": names[c], "color": cluster_color(c), "rows": s["rows"]}
            for c, s in zip(clusters, sizes, strict=True)
        ],
        "model": model,
        "report": report,
        "best": report.get("best") or {},
        "k_selection": report.get("k_selection") or {},
        "leaderboard": (report.get("leaderboard") or [])[:LEADERBOARD_ROWS],
        "sizes": sizes,
        "clusters": clusters,
        "colors": {c: cluster_color(c) for c in clusters},
        "profiles": _profiles(report, clusters),
        "samples": _samples(report, clusters),
        "points": _points(projection),
        "variance": projection.get("explained_variance") or [0.0, 0.0],
        "plot": {"width": PLOT[0], "height": PLOT[1]},
    }


@router.get("/models/{model_id}/clusters", response_class=HTMLResponse)
async def clusters_page(
    request: Request, model_id: str, store: StoreDep, artifacts: ArtifactsDep
) -> HTMLResponse:
    try:
        context = await run_in_threadpool(
            page_context, store, artifacts, model_id, request_language(request)
        )
    except NotFoundError:
        return render(request, "clusters/missing.html", {"model_id": model_id}, status_code=404)
    return render(request, "clusters/page.html", context)
