"""Tiny self-contained inline SVG charts for the HTML report (no JavaScript, no CDN)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

_W, _H, _PAD = 420, 300, 44
_COLORS = ("#2b6cb0", "#c05621", "#2f855a", "#9b2c2c", "#6b46c1", "#b7791f", "#2c7a7b")


def _scale(lo: float, hi: float, a: float, b: float) -> tuple[float, float]:
    span = (hi - lo) or 1.0
    return (b - a) / span, a - lo * (b - a) / span


def _frame(body: str, title: str, x_label: str, y_label: str, height: int = _H) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_W} {height}" '
        f'class="chart" role="img" aria-label="{escape(title)}">'
        f'<text x="{_W / 2}" y="16" text-anchor="middle" class="t">{escape(title)}</text>'
        f"{body}"
        f'<text x="{_W / 2}" y="{height - 6}" text-anchor="middle">{escape(x_label)}</text>'
        f'<text x="12" y="{height / 2}" transform="rotate(-90 12 {height / 2})" '
        f'text-anchor="middle">{escape(y_label)}</text></svg>'
    )


def _axes(x0: float, x1: float, y0: float, y1: float) -> str:
    left, right, top, bottom = _PAD, _W - 12, 26, _H - _PAD
    ticks = "".join(
        f'<text x="{left - 4}" y="{bottom - f * (bottom - top) + 4:.1f}" text-anchor="end">'
        f"{y0 + f * (y1 - y0):.3g}</text>"
        f'<text x="{left + f * (right - left):.1f}" y="{bottom + 14}" text-anchor="middle">'
        f"{x0 + f * (x1 - x0):.3g}</text>"
        for f in (0.0, 0.5, 1.0)
    )
    return (
        f'<rect x="{left}" y="{top}" width="{right - left}" height="{bottom - top}" '
        f'fill="none" stroke="#ccc"/>{ticks}'
    )


def line_chart(
    series: Sequence[tuple[str, Sequence[float | None], Sequence[float | None]]],
    *,
    title: str,
    x_label: str,
    y_label: str,
    diagonal: bool = False,
    scatter: bool = False,
) -> str:
    """Lines (or dots with ``scatter``) for ``(name, xs, ys)`` series; None points are skipped."""
    pts = [
        (x, y)
        for _, xs, ys in series
        for x, y in zip(xs, ys, strict=False)
        if x is not None and y is not None
    ]
    if not pts:
        return ""
    x0, x1 = min(p[0] for p in pts), max(p[0] for p in pts)
    y0, y1 = min(p[1] for p in pts), max(p[1] for p in pts)
    if diagonal:
        x0, y0, x1, y1 = min(x0, y0), min(x0, y0), max(x1, y1), max(x1, y1)
    sx, cx = _scale(x0, x1, _PAD, _W - 12)
    sy, cy = _scale(y0, y1, _H - _PAD, 26)
    body = _axes(x0, x1, y0, y1)
    if diagonal:
        body += (
            f'<line x1="{sx * x0 + cx:.1f}" y1="{sy * y0 + cy:.1f}" x2="{sx * x1 + cx:.1f}" '
            f'y2="{sy * y1 + cy:.1f}" stroke="#999" stroke-dasharray="4 3"/>'
        )
    for i, (name, xs, ys) in enumerate(series):
        color = _COLORS[i % len(_COLORS)]
        coords = [
            (sx * x + cx, sy * y + cy)
            for x, y in zip(xs, ys, strict=False)
            if x is not None and y is not None
        ]
        if scatter:
            body += "".join(
                f'<circle cx="{a:.1f}" cy="{b:.1f}" r="2" fill="{color}" fill-opacity="0.6"/>'
                for a, b in coords
            )
        else:
            path = " ".join(f"{a:.1f},{b:.1f}" for a, b in coords)
            body += f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"/>'
        if len(series) > 1:
            body += (
                f'<text x="{_W - 16}" y="{40 + 14 * i}" text-anchor="end" fill="{color}">'
                f"{escape(name)}</text>"
            )
    return _frame(body, title, x_label, y_label)


def bar_chart(
    labels: Sequence[str], values: Sequence[float], *, title: str, x_label: str = ""
) -> str:
    """Horizontal bars, one per label (negative values drawn from the zero line leftwards)."""
    if not labels:
        return ""
    row, left = 18, 150
    height = 40 + row * len(labels) + 30
    lo, hi = min(0.0, *values), max(0.0, *values)
    s, c = _scale(lo, hi, left, _W - 16)
    zero = c
    body = ""
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = 28 + i * row
        x_end = s * value + c
        body += (
            f'<text x="{left - 6}" y="{y + 12}" text-anchor="end">{escape(label[:24])}</text>'
            f'<rect x="{min(zero, x_end):.1f}" y="{y}" width="{abs(x_end - zero):.1f}" '
            f'height="{row - 4}" fill="{_COLORS[0]}"/>'
            f'<text x="{max(zero, x_end) + 3:.1f}" y="{y + 12}">{value:.3g}</text>'
        )
    return _frame(body, title, x_label, "", height=height)
