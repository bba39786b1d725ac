"""Figures (PNG with matplotlib, interactive HTML with offline plotly) and the report files."""

import html
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

CORRECT, WRONG = "#ccffcc", "#ffcccc"
F1_COLOR, ACC_COLOR, BAYES_COLOR = "#2ca02c", "#1f77b4", "#7f7f7f"
TARGET_RATIO = 0.97


def confusion_figure(y: np.ndarray, pred: np.ndarray, title: str, stem: Path) -> list[Path]:
    """2x2 confusion matrix (rows true F/M, columns predicted), correct cells green."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import plotly.graph_objects as go

    cm = np.array([[np.sum((y == t) & (pred == p)) for p in (0, 1)] for t in (0, 1)])
    labels = ["F", "M"]
    fig, ax = plt.subplots(figsize=(4, 4))
    for i in range(2):
        for j in range(2):
            color = CORRECT if i == j else WRONG
            ax.add_patch(plt.Rectangle((j, 1 - i), 1, 1, facecolor=color, edgecolor="black"))
            ax.text(j + 0.5, 1.5 - i, str(cm[i, j]), ha="center", va="center", fontsize=14)
    ax.set_xlim(0, 2)
    ax.set_ylim(0, 2)
    ax.set_xticks([0.5, 1.5], labels)
    ax.set_yticks([1.5, 0.5], labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    fig.tight_layout()
    png = stem.with_suffix(".png")
    fig.savefig(png, dpi=100)
    plt.close(fig)
    colors = [[CORRECT, WRONG], [WRONG, CORRECT]]
    pfig = go.Figure(
        go.Table(
            header={"values": ["true \\ predicted", *labels]},
            cells={
                "values": [labels, cm[:, 0].tolist(), cm[:, 1].tolist()],
                "fill_color": [["white", "white"], [r[0] for r in colors], [r[1] for r in colors]],
            },
        )
    )
    pfig.update_layout(title=title)
    page = stem.with_suffix(".html")
    pfig.write_html(page, include_plotlyjs=True, full_html=True)
    return [png, page]


def age_group_figure(groups: pd.DataFrame, title: str, stem: Path) -> list[Path]:
    """Macro-F1 (green) and accuracy (blue) per age group, with the Bayes accuracy as a marker."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import plotly.graph_objects as go

    x = np.arange(len(groups))
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.bar(x - 0.2, groups["macro_f1"], 0.4, color=F1_COLOR, label="Macro-F1")
    ax.bar(x + 0.2, groups["accuracy"], 0.4, color=ACC_COLOR, label="Accuracy")
    if "bayes_accuracy" in groups:
        ax.scatter(x + 0.2, groups["bayes_accuracy"], color="black", marker="_", s=400,
                   label="Bayes accuracy", zorder=3)  # fmt: skip
    ax.set_xticks(x, [f"{g}\n(n={n})" for g, n in zip(groups["group"], groups["n"], strict=True)])
    ax.set_ylim(0, 1)
    ax.set_title(title)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    png = stem.with_suffix(".png")
    fig.savefig(png, dpi=100)
    plt.close(fig)
    pfig = go.Figure(
        [
            go.Bar(
                name="Macro-F1", x=groups["group"], y=groups["macro_f1"], marker_color=F1_COLOR
            ),
            go.Bar(
                name="Accuracy", x=groups["group"], y=groups["accuracy"], marker_color=ACC_COLOR
            ),
        ]
    )
    if "bayes_accuracy" in groups:
        pfig.add_trace(
            go.Scatter(name="Bayes accuracy", x=groups["group"], y=groups["bayes_accuracy"],
                       mode="markers", marker={"color": "black", "symbol": "line-ew-open",
                                               "size": 30})
        )  # fmt: skip
    pfig.update_layout(title=title, barmode="group", yaxis={"range": [0, 1]})
    page = stem.with_suffix(".html")
    pfig.write_html(page, include_plotlyjs=True, full_html=True)
    return [png, page]


def comparison_figure(models: list[dict[str, Any]], bayes: float, stem: Path) -> list[Path]:
    """Test accuracy with 95% CI per model next to the Bayes ceiling."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import plotly.graph_objects as go

    names = [m["name"] for m in models]
    acc = np.array([m["test_accuracy"] for m in models])
    lo = np.array([m["ci"]["accuracy"][0] for m in models])
    hi = np.array([m["ci"]["accuracy"][1] for m in models])
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.bar(names, acc, yerr=[acc - lo, hi - acc], color=ACC_COLOR, capsize=6, label="accuracy")
    ax.axhline(bayes, color=BAYES_COLOR, linestyle="--", label=f"Bayes ceiling {bayes:.3f}")
    ax.axhline(TARGET_RATIO * bayes, color=BAYES_COLOR, linestyle=":", label="97% of ceiling")
    ax.set_ylim(0.5, max(0.75, float(hi.max()) + 0.02) if len(hi) else 0.75)
    ax.set_title("Test accuracy: default vs tuned vs AutoML")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    png = stem.with_suffix(".png")
    fig.savefig(png, dpi=100)
    plt.close(fig)
    pfig = go.Figure(
        go.Bar(
            x=names,
            y=acc,
            error_y={
                "type": "data",
                "symmetric": False,
                "array": hi - acc,
                "arrayminus": acc - lo,
            },
            marker_color=ACC_COLOR,
            name="accuracy",
        )
    )
    pfig.add_hline(y=bayes, line_dash="dash", annotation_text=f"Bayes ceiling {bayes:.3f}")
    pfig.add_hline(y=TARGET_RATIO * bayes, line_dash="dot", annotation_text="97% of ceiling")
    pfig.update_layout(title="Test accuracy vs the Bayes ceiling", yaxis={"range": [0.5, 0.75]})
    page = stem.with_suffix(".html")
    pfig.write_html(page, include_plotlyjs=True, full_html=True)
    return [png, page]


def verdict(models: list[dict[str, Any]], bayes: float) -> str:
    """The sentence on whether the best model reaches 97% of the Bayes ceiling."""
    if not models:
        return "No model was evaluated."
    best = max(models, key=lambda m: m["test_accuracy"])
    lo, hi = best["ratio_to_bayes_ci"]
    reached = best["ratio_to_bayes"] >= TARGET_RATIO
    sure = "and the whole interval is above 97%" if lo >= TARGET_RATIO else (
        "but the interval reaches below 97%" if reached else "and the interval is below 97%"
        if hi < TARGET_RATIO else "but the interval reaches above 97%"
    )  # fmt: skip
    return (
        f"The best model on the test set, {best['name']}, has accuracy "
        f"{best['test_accuracy']:.4f} (95% CI {best['ci']['accuracy'][0]:.4f}-"
        f"{best['ci']['accuracy'][1]:.4f}), {100 * best['ratio_to_bayes']:.1f}% of the "
        f"Bayes-optimal accuracy {bayes:.4f} "
        f"(95% CI of the ratio {100 * lo:.1f}-{100 * hi:.1f}%): "
        f"it {'reaches' if reached else 'does not reach'} the 97% target, {sure}."
    )


def write_reports(out_dir: Path, report: dict[str, Any], figures: list[Path]) -> None:
    """Writes report.json, report.md and report.html (which embeds the figure pages' links)."""
    (out_dir / "report.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    lines = [
        "# Gender inference from pre-login clickstream",
        "",
        report["verdict"],
        "",
        f"Bayes-optimal accuracy on the test sessions: **{report['bayes_optimal_accuracy']:.4f}**"
        f" (realised by the Bayes classifier: {report['bayes_realised_accuracy']:.4f}).",
        "",
        "| model | test accuracy (95% CI) | test macro-F1 (95% CI) | ROC AUC | ratio to Bayes |",
        "|---|---|---|---|---|",
    ]
    for m in report["models"]:
        a, f = m["ci"]["accuracy"], m["ci"]["macro_f1"]
        lines.append(
            f"| {m['name']} | {m['test_accuracy']:.4f} ({a[0]:.4f}-{a[1]:.4f}) | "
            f"{m['test_macro_f1']:.4f} ({f[0]:.4f}-{f[1]:.4f}) | {m['test_roc_auc']:.4f} | "
            f"{100 * m['ratio_to_bayes']:.1f}% |"
        )
    for note in report.get("notes", []):
        lines += ["", f"- {note}"]
    lines += ["", "## Data", "", "```", json.dumps(report["data"], indent=2), "```", ""]
    lines += ["## Figures", ""] + [f"- [{p.name}]({p.relative_to(out_dir)})" for p in figures]
    (out_dir / "report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    rows = "".join(
        f"<tr><td>{html.escape(m['name'])}</td><td>{m['test_accuracy']:.4f}</td>"
        f"<td>{m['ci']['accuracy'][0]:.4f}-{m['ci']['accuracy'][1]:.4f}</td>"
        f"<td>{m['test_macro_f1']:.4f}</td><td>{100 * m['ratio_to_bayes']:.1f}%</td></tr>"
        for m in report["models"]
    )
    images = "".join(
        f'<figure><img src="{p.relative_to(out_dir)}"><figcaption><a href="'
        f'{p.with_suffix(".html").relative_to(out_dir)}">interactive</a></figcaption></figure>'
        for p in figures
        if p.suffix == ".png"
    )
    page = (
        "<!doctype html><html><head><meta charset='utf-8'><title>Gender recipe</title></head>"
        f"<body><h1>Gender inference from pre-login clickstream</h1>"
        f"<p>{html.escape(report['verdict'])}</p>"
        f"<p>Bayes-optimal accuracy: {report['bayes_optimal_accuracy']:.4f}</p>"
        "<table border='1'><tr><th>model</th><th>accuracy</th><th>95% CI</th><th>macro-F1</th>"
        f"<th>ratio to Bayes</th></tr>{rows}</table>{images}</body></html>"
    )
    (out_dir / "report.html").write_text(page, encoding="utf-8")
