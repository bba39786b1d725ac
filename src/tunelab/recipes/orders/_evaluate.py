"""Test scores with bootstrap intervals, and the verdict: does viewCount predict quantity?"""

from typing import Any

import numpy as np

from tunelab.evaluation import bootstrap_ci, get_metric

ALPHA = 0.05


def score(name: str, y: np.ndarray, pred: np.ndarray, *, seed: int, n_boot: int) -> dict[str, Any]:
    """``{"name", "test_r2", "test_rmse", "ci", "ci_rmse"}``: 95% percentile bootstrap CIs."""
    r2, rmse = get_metric("r2", "regression"), get_metric("rmse", "regression")
    return {
        "name": name,
        "test_r2": float(r2.score(y, pred)),
        "test_rmse": float(rmse.score(y, pred)),
        "ci": list(bootstrap_ci(r2, y, pred, n_resamples=n_boot, seed=seed, alpha=ALPHA)),
        "ci_rmse": list(bootstrap_ci(rmse, y, pred, n_resamples=n_boot, seed=seed, alpha=ALPHA)),
    }


def _r2_rows(y: np.ndarray, pred: np.ndarray, idx: np.ndarray) -> np.ndarray:
    yt, yp = y[idx], pred[idx]
    ss_res = ((yt - yp) ** 2).sum(axis=1)
    ss_tot = ((yt - yt.mean(axis=1, keepdims=True)) ** 2).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(ss_tot > 0, 1.0 - ss_res / ss_tot, np.nan)


def paired_r2_gain(
    y: np.ndarray, model: np.ndarray, baseline: np.ndarray, *, seed: int, n_boot: int
) -> dict[str, Any]:
    """R² of ``model`` minus R² of ``baseline`` on the same test rows, with a paired bootstrap
    95% interval (both scored on each resample) — the test of "better than the baseline"."""
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(y), size=(n_boot, len(y)))
    diff = _r2_rows(y, model, idx) - _r2_rows(y, baseline, idx)
    diff = diff[np.isfinite(diff)]
    r2 = get_metric("r2", "regression")
    low, high = np.quantile(diff, [ALPHA / 2, 1 - ALPHA / 2]) if len(diff) else (np.nan, np.nan)
    return {
        "r2_gain": float(r2.score(y, model) - r2.score(y, baseline)),
        "ci": [float(low), float(high)],
        "share_of_resamples_better": float(np.mean(diff > 0)) if len(diff) else float("nan"),
    }


def verdict(gain: dict[str, Any]) -> dict[str, Any]:
    """``signal`` when the whole 95% interval of the R² gain is above 0, computed not assumed."""
    low, high = gain["ci"]
    signal = bool(low > 0)
    if signal:
        text = (f"viewCount carries signal: the ensemble beats the mean baseline by "
                f"{gain['r2_gain']:.3f} R² (95% CI {low:.3f} to {high:.3f}).")  # fmt: skip
    else:
        text = (f"No evidence that viewCount predicts quantity: the ensemble's R² gain over the "
                f"mean baseline is {gain['r2_gain']:.3f} (95% CI {low:.3f} to {high:.3f}, "
                f"includes 0 or lies below it).")  # fmt: skip
    return {"signal": signal, "text": text}
