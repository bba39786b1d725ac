"""Run reports: Markdown + HTML leaderboard linking one page per model, plus report.json.

Layout (browsable as plain files, after mljar-supervised)::

    <out_dir>/report/README.md          leaderboard, links to models/<name>.md
    <out_dir>/report/index.html         the same, self-contained HTML
    <out_dir>/report/models/<name>.md   params, validation, metrics with CIs, importances
    <out_dir>/report/models/<name>.html with inline SVG charts
    <out_dir>/report/report.json        the whole RunSummary
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from tabulate import tabulate

from tunelab.evaluation._summary import (
    ModelDetails,
    RunSummary,
    fmt,
    jsonable,
    metric_rows,
    unique_slugs,
)
from tunelab.evaluation._svg import bar_chart, line_chart

TOP_IMPORTANCES = 20


def write_report(out_dir: str | Path, summary: RunSummary) -> Path:
    """Write the report of ``summary`` under ``out_dir/report`` and return that folder."""
    root = Path(out_dir) / "report"
    (root / "models").mkdir(parents=True, exist_ok=True)
    if not summary.created_at:
        summary.created_at = datetime.now(UTC).isoformat(timespec="seconds")
    slugs = unique_slugs([m.name for m in summary.models])
    env = _environment()
    (root / "README.md").write_text(_index_markdown(summary, slugs), encoding="utf-8")
    (root / "index.html").write_text(
        env.get_template("index.html.j2").render(
            run=summary, slugs=slugs, headers=_headers(summary.leaderboard), fmt=fmt
        ),
        encoding="utf-8",
    )
    for model in summary.models:
        slug = slugs[model.name]
        (root / "models" / f"{slug}.md").write_text(_model_markdown(model), encoding="utf-8")
        (root / "models" / f"{slug}.html").write_text(
            env.get_template("model.html.j2").render(
                run=summary,
                model=model,
                metric_rows=metric_rows(model),
                charts=[Markup(c) for c in model_charts(model) if c],
                fmt=fmt,
                json=_pretty,
            ),
            encoding="utf-8",
        )
    payload = jsonable(summary)
    payload["model_pages"] = {name: f"models/{slug}.md" for name, slug in slugs.items()}
    (root / "report.json").write_text(
        json.dumps(payload, indent=2, allow_nan=False), encoding="utf-8"
    )
    return root


def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("tunelab.evaluation", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _pretty(value: Any) -> str:
    return json.dumps(jsonable(value), indent=2)


def _headers(rows: list[dict[str, Any]]) -> list[str]:
    headers: list[str] = []
    for row in rows:
        headers += [k for k in row if k not in headers]
    return headers


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("[", "\\[").replace("]", "\\]")


def _index_markdown(run: RunSummary, slugs: dict[str, str]) -> str:
    lines = [f"# {run.title}", ""]
    facts = {"task": run.task, "target": run.target, "metric": run.metric, **run.dataset}
    if run.split.get("description"):
        facts["validation"] = run.split["description"]
    facts["created"] = run.created_at
    lines += [f"- **{k}**: {_md_escape(fmt(v))}" for k, v in facts.items()]
    if run.best_model:
        best = run.best_model
        link = f"[{_md_escape(best)}](models/{slugs[best]}.md)" if best in slugs else best
        lines += [f"- **best model**: {link}"]
    lines += ["", "## Leaderboard", ""]
    if run.leaderboard:
        headers = _headers(run.leaderboard)
        table = []
        for row in run.leaderboard:
            cells = []
            for key in headers:
                value = row.get(key)
                text = _md_escape(fmt(value))
                if key == "name" and value in slugs:
                    text = f"[{text}](models/{slugs[value]}.md)"
                cells.append(text)
            table.append(cells)
        lines.append(tabulate(table, headers=headers, tablefmt="github", disable_numparse=True))
    else:
        lines.append("No model finished.")
    if run.ensemble_weights:
        lines += ["", "## Ensemble weights", ""]
        rows = [[_md_escape(k), fmt(v)] for k, v in run.ensemble_weights.items()]
        lines.append(tabulate(rows, headers=["model", "weight"], tablefmt="github"))
    if run.synthetic:
        lines += ["", *synthetic_markdown(run.synthetic)]
    lines += ["", "HTML version: [index.html](index.html) · data: [report.json](report.json)", ""]
    return "\n".join(lines)


def synthetic_markdown(block: dict[str, Any]) -> list[str]:
    """The "Synthetic rows" section of the run report."""
    lines = ["## Synthetic rows", ""]
    facts = {
        "synthesizer": block.get("synthesizer"),
        "sampling size": block.get("size"),
        "real training rows": block.get("rows_real"),
        "synthetic rows (refit)": block.get("rows_synthetic"),
        "fitted on": block.get("fitted_on"),
        "discriminator AUC": block.get("discriminator_auc"),
        "verdict": block.get("verdict"),
    }
    lines += [f"- **{k}**: {_md_escape(fmt(v))}" for k, v in facts.items() if v is not None]
    test = block.get("test") or {}
    note = test.get("note") or block.get("note")
    if note:
        lines += ["", _md_escape(str(note))]
    preparation = block.get("preparation") or {}
    if preparation.get("note"):  # the synthesizers' training within the time budget
        lines += ["", "Synthesizer training: " + _md_escape(str(preparation["note"])) + "."]
    columns = block.get("columns") or []
    if columns:
        rows = [[_md_escape(c["column"]), c["distance"], fmt(c["value"])] for c in columns]
        lines += ["", "Distance of each column to the real training rows (KS: numbers, "]
        lines[-1] += "TV: categories; 0 is identical, 1 disjoint):"
        lines += ["", tabulate(rows, headers=["column", "distance", "value"], tablefmt="github")]
    return lines


def _model_markdown(model: ModelDetails) -> str:
    lines = ["[« Back to leaderboard](../README.md)", "", f"# {model.name}", ""]
    facts: dict[str, Any] = {"family": model.family or None, "validation": model.validation}
    if model.cv_score is not None:
        facts["validation score"] = f"{fmt(model.cv_score)} ± {fmt(model.cv_std)}"
    facts["fit time (s)"] = model.fit_time
    lines += [f"- **{k}**: {_md_escape(fmt(v))}" for k, v in facts.items() if v not in (None, "")]
    if model.notes:
        lines += ["", model.notes]
    lines += ["", "## Parameters", ""]
    if model.params:
        rows = [[_md_escape(str(k)), _md_escape(fmt(v))] for k, v in model.params.items()]
        lines.append(tabulate(rows, headers=["parameter", "value"], tablefmt="github"))
    else:
        lines.append("Defaults.")
    if model.preprocessing:
        lines += ["", "## Preprocessing", "", "```json", _pretty(model.preprocessing), "```"]
    metrics = metric_rows(model)
    if metrics:
        lines += ["", "## Metrics (95% bootstrap interval)", ""]
        lines.append(tabulate(metrics, headers="keys", tablefmt="github", disable_numparse=True))
    matrix = model.curves.get("confusion_matrix")
    if matrix:
        lines += ["", f"## Confusion matrix ({model.curves_part}; rows: true, columns: predicted)"]
        table = [[lab, *row] for lab, row in zip(matrix["labels"], matrix["matrix"], strict=True)]
        lines += ["", tabulate(table, headers=["", *matrix["labels"]], tablefmt="github")]
    if model.importance:
        lines += ["", "## Permutation importance (drop in score when shuffled)", ""]
        top = [[_md_escape(c), fmt(m), fmt(s)] for c, m, s in model.importance[:TOP_IMPORTANCES]]
        lines.append(tabulate(top, headers=["column", "mean drop", "std"], tablefmt="github"))
    lines += ["", "[« Back to leaderboard](../README.md)", ""]
    return "\n".join(lines)


def model_charts(model: ModelDetails) -> list[str]:
    """Inline SVG charts of a model's curve data and importances."""
    curves, part = model.curves, model.curves_part
    charts: list[str] = []
    roc = curves.get("roc") or {}
    series = _curve_series(roc, "fpr", "tpr", "auc")
    if series:
        charts.append(
            line_chart(series, title=f"ROC ({part})", x_label="FPR", y_label="TPR", diagonal=True)
        )
    series = _curve_series(curves.get("pr") or {}, "recall", "precision", "average_precision")
    if series:
        charts.append(
            line_chart(
                series, title=f"Precision-recall ({part})", x_label="recall", y_label="precision"
            )
        )
    if curves.get("calibration", {}).get("bins"):
        bins = curves["calibration"]["bins"]
        charts.append(
            line_chart(
                [
                    (
                        "model",
                        [b["mean_predicted"] for b in bins],
                        [b["fraction_positive"] for b in bins],
                    )
                ],
                title=f"Calibration ({part})",
                x_label="predicted",
                y_label="observed",
                diagonal=True,
            )
        )
    if "threshold" in curves:
        t = curves["threshold"]
        charts.append(
            line_chart(
                [(k, t["thresholds"], t[k]) for k in ("precision", "recall", "f1")],
                title=f"Threshold ({part})",
                x_label="threshold",
                y_label="score",
            )
        )
    if "lift_gain" in curves:
        g = curves["lift_gain"]
        pct = [p / 100 if p is not None else None for p in g["percent"]]
        charts.append(
            line_chart(
                [("gain", pct, g["gain"])],
                title=f"Cumulative gain ({part})",
                x_label="share of rows",
                y_label="share of positives",
                diagonal=True,
            )
        )
    if "prediction_error" in curves:
        pe, rs = curves["prediction_error"], curves["residuals"]
        charts.append(
            line_chart(
                [("rows", pe["actual"], pe["predicted"])],
                title=f"Prediction error ({part})",
                x_label="actual",
                y_label="predicted",
                diagonal=True,
                scatter=True,
            )
        )
        charts.append(
            line_chart(
                [("rows", rs["predicted"], rs["residual"])],
                title=f"Residuals ({part})",
                x_label="predicted",
                y_label="actual - predicted",
                scatter=True,
            )
        )
    if model.importance:
        top = model.importance[:TOP_IMPORTANCES]
        charts.append(
            bar_chart(
                [c for c, _, _ in top],
                [m for _, m, _ in top],
                title="Permutation importance",
                x_label="mean drop in score",
            )
        )
    return charts


def _curve_series(
    data: dict[str, Any], x: str, y: str, stat: str
) -> list[tuple[str, list[Any], list[Any]]]:
    if data.get("binary"):
        curve = data["binary"]
        return [(f"{stat} {fmt(curve[stat], 3)}", curve[x], curve[y])]
    return [
        (f"{label} ({fmt(c[stat], 3)})", c[x], c[y])
        for label, c in list((data.get("per_class") or {}).items())[:7]
    ]
