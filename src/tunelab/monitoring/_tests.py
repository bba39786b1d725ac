"""Two-sample drift statistics between a stored reference and current values (pure, numpy).

Numeric references come as a sorted sample (small references) or a quantile sketch; category
references as counts. Each function returns the method's score: a p-value for the tests
(drift when below the threshold), a distance otherwise (drift when at or above it). scipy is
imported on first use (the server imports this package at start).
"""

from collections.abc import Mapping

import numpy as np

PSI_FLOOR = 1e-4  # empty bins count as this share (PSI is infinite otherwise)


SCIPY_KS_ROWS = 10_000  # larger windows: scipy's asymptotic p-value, statistic computed here


def ks_pvalue(reference: np.ndarray, current: np.ndarray, sorted_: bool = False) -> float:
    """Two-sample Kolmogorov–Smirnov p-value (two-sided), as ``scipy.stats.ks_2samp``.

    For a large window (more than 10,000 values, where scipy uses the asymptotic
    distribution) the statistic is found at the reference values only: between two of them
    the reference CDF is flat and the current one monotone, so the largest gap sits at a
    reference value or just before one. That costs O(m log n) instead of sorting both."""
    from scipy import stats as sps

    if current.size <= SCIPY_KS_ROWS:
        return float(sps.ks_2samp(reference, current).pvalue)
    x = current if sorted_ else np.sort(current)
    r = np.sort(reference)
    m, n = r.size, x.size
    ref_right = np.searchsorted(r, r, side="right") / m
    ref_left = np.searchsorted(r, r, side="left") / m
    cur_right = np.searchsorted(x, r, side="right") / n
    cur_left = np.searchsorted(x, r, side="left") / n
    d = float(max(np.max(np.abs(ref_right - cur_right)), np.max(np.abs(ref_left - cur_left))))
    return float(np.clip(sps.kstwo.sf(d, np.round(m * n / (m + n))), 0.0, 1.0))


def wasserstein_normed(
    sketch: np.ndarray,
    current: np.ndarray,
    std: float,
    grid: np.ndarray | None = None,
    sorted_: bool = False,
) -> float:
    """Wasserstein-1 distance between the reference (quantiles at the levels ``grid``, evenly
    spaced by default) and the current values, divided by the reference standard deviation.

    Computed on quantile functions: the mean over the sorted current values of their distance
    to the reference quantile at the same level (the sketch interpolated linearly).
    """
    x = current if sorted_ else np.sort(current)
    levels = (np.arange(x.size) + 0.5) / x.size
    if grid is None:
        grid = np.linspace(0.0, 1.0, sketch.size)
    distance = float(np.mean(np.abs(x - np.interp(levels, grid, sketch))))
    return distance / std if std > 0 else (0.0 if distance == 0 else float("inf"))


def _aligned(
    reference: Mapping[str, float], current: Mapping[str, float]
) -> tuple[np.ndarray, np.ndarray]:
    keys = list(dict.fromkeys([*reference, *current]))
    ref = np.array([float(reference.get(k, 0.0)) for k in keys])
    cur = np.array([float(current.get(k, 0.0)) for k in keys])
    return ref, cur


def jensen_shannon(reference: Mapping[str, float], current: Mapping[str, float]) -> float:
    """Jensen–Shannon distance (natural log, as Evidently) between two category counts."""
    from scipy.spatial.distance import jensenshannon

    ref, cur = _aligned(reference, current)
    if ref.sum() == 0 or cur.sum() == 0:
        return 0.0
    return float(jensenshannon(ref / ref.sum(), cur / cur.sum()))


def chi_square_pvalue(reference: Mapping[str, float], current: Mapping[str, float]) -> float:
    """p-value of the chi-square test of homogeneity of the two category counts."""
    from scipy import stats as sps

    ref, cur = _aligned(reference, current)
    keep = (ref + cur) > 0
    if keep.sum() < 2:
        return 1.0
    table = np.vstack([ref[keep], cur[keep]])
    return float(sps.chi2_contingency(table, correction=False).pvalue)


def z_test_pvalue(reference: Mapping[str, float], current: Mapping[str, float]) -> float:
    """Two-sided Z-test for the share of the reference's first category (binary columns)."""
    from scipy import stats as sps

    ref, cur = _aligned(reference, current)
    n1, n2 = ref.sum(), cur.sum()
    if n1 == 0 or n2 == 0:
        return 1.0
    p1, p2 = ref[0] / n1, cur[0] / n2
    pooled = (ref[0] + cur[0]) / (n1 + n2)
    se = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return 1.0 if p1 == p2 else 0.0
    return float(2 * sps.norm.sf(abs(p1 - p2) / se))


def psi(reference_shares: np.ndarray, current_counts: np.ndarray) -> float:
    """Population stability index of current counts against reference shares (same bins)."""
    total = current_counts.sum()
    if total == 0:
        return 0.0
    ref = np.maximum(np.asarray(reference_shares, dtype=float), PSI_FLOOR)
    cur = np.maximum(current_counts / total, PSI_FLOOR)
    return float(np.sum((cur - ref) * np.log(cur / ref)))


def histogram_counts(edges: np.ndarray, values: np.ndarray, sorted_: bool = False) -> np.ndarray:
    """Counts of ``values`` in the reference bins ``[e_i, e_i+1)``, the outer bins open to
    ±infinity (``sorted_``: the values are sorted already)."""
    inner = np.asarray(edges, dtype=float)[1:-1]
    x = values if sorted_ else np.sort(values)
    below = np.searchsorted(x, inner, side="left")  # values under each inner edge
    return np.diff(np.concatenate([[0], below, [x.size]]))
