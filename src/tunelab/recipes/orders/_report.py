"""Figures (matplotlib PNG) and the report files: report.md, report.html, report.json."""

import html
import json
from pathlib import Path
from typing import Any

import numpy as np

from tunelab.evaluation import jsonable


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def r2_figure(variants: dict[str, list[dict[str, Any]]], path: Path) -> Path:
    """Test R² with its 95% bootstrap interval, per model and data variant."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(variants), figsize=(5 * len(variants), 3.5), squeeze=False)
    for ax, (title, models) in zip(axes[0], variants.items(), strict=True):
        r2 = np.array([m["test_r2"] for m in models])
        lo = np.array([m["ci"][0] for m in models])
        hi = np.array([m["ci"][1] for m in models])
        ax.bar([m["name"] for m in models], r2, yerr=[r2 - lo, hi - r2], capsize=6,
               color=["#7f7f7f", "#1f77b4"][: len(models)])  # fmt: skip
        ax.axhline(0, color="black", linewidth=0.8)
        ax.set_title(title)
        ax.set_ylabel("test R² (95% CI)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def fit_figure(curves: dict[str, dict[str, np.ndarray]], path: Path) -> Path:
    """Test rows (viewCount, quantity) with the ensemble's and the baseline's predictions."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(curves), figsize=(5 * len(curves), 3.5), squeeze=False)
    for ax, (title, c) in zip(axes[0], curves.items(), strict=True):
        ax.scatter(c["views"], c["quantity"], s=6, alpha=0.4, color="#7f7f7f", label="test rows")
        ax.plot(c["grid"], c["ensemble"], color="#1f77b4", label="MLP ensemble (10)")
        ax.axhline(float(c["baseline"]), color="#d62728", linestyle="--", label="mean baseline")
        ax.set_xlabel("viewCount")
        ax.set_ylabel("quantity")
        ax.set_title(title)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def _table(models: list[dict[str, Any]]) -> list[str]:
    lines = ["| model | test R² | 95% CI | test RMSE | 95% CI |", "|---|---|---|---|---|"]
    for m in models:
        lines.append(
            f"| {m['name']} | {m['test_r2']:.4f} | {m['ci'][0]:.4f} to {m['ci'][1]:.4f} "
            f"| {m['test_rmse']:.4f} | {m['ci_rmse'][0]:.4f} to {m['ci_rmse'][1]:.4f} |"
        )
    return lines


def markdown(report: dict[str, Any], figures: list[Path], out: Path) -> str:
    data, variant = report["data"], report["variant_views_drive_quantity"]
    lines = [
        "# Orders demo: does viewCount predict quantity?",
        "",
        f"Settings: {json.dumps(report['settings'])}",
        "",
        "## The diary's data (view counts drawn independently of quantities)",
        "",
        f"{data['order_items']} order items, {data['missing_view_counts_filled']} view counts "
        f"filled with 0 after the join, {report['rows_after_dedupe']} rows after dropping "
        f"duplicate (accountId, productId) pairs; {data['train_rows']} training rows, "
        f"{data['test_rows']} test rows (split before anything was fitted).",
        "",
        *_table(report["models"]),
        "",
        f"**Verdict:** {report['verdict']['text']}",
        "",
        "## Variant: quantity depends on viewCount",
        "",
        f"{variant['rows_after_dedupe']} rows after de-duplication, same pipeline.",
        "",
        *_table(variant["models"]),
        "",
        f"**Verdict:** {variant['verdict']['text']}",
        "",
        "## What the diary got wrong, and what this recipe does instead",
        "",
        *[f"- {note}" for note in report["notes"]],
        "",
        "## Figures",
        "",
        *[f"![{p.stem}]({p.relative_to(out).as_posix()})" for p in figures],
        "",
    ]
    return "\n".join(lines)


def write_reports(out: Path, report: dict[str, Any], figures: list[Path]) -> None:
    """report.json, report.md and report.html (the Markdown as preformatted text + figures)."""
    (out / "report.json").write_text(json.dumps(jsonable(report), indent=2), encoding="utf-8")
    text = markdown(report, figures, out)
    (out / "report.md").write_text(text, encoding="utf-8")
    images = "".join(
        f'<p><img src="{html.escape(p.relative_to(out).as_posix())}" alt="{p.stem}"></p>'
        for p in figures
    )
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        "<title>Orders demo</title></head><body>"
        f"<pre style='white-space: pre-wrap'>{html.escape(text)}</pre>{images}</body></html>"
    )
    (out / "report.html").write_text(page, encoding="utf-8")
