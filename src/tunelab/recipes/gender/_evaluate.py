"""Honest evaluation: split by user, metrics on an untouched test set with user-level bootstrap
confidence intervals, per-age-group metrics and the ratio to the Bayes ceiling."""

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GroupShuffleSplit

from tunelab.entities import DataError
from tunelab.recipes.gender._catalog import age_segment

AGE_GROUPS: tuple[str, ...] = ("young", "middle", "old", "unknown")


def split_by_user(
    frame: pd.DataFrame, *, test_size: float = 0.2, seed: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train and test parts with every user's sessions on one side only."""
    if "user_id" not in frame.columns:
        raise DataError("feature table has no user_id column to split by")
    if frame["user_id"].isna().any():
        raise DataError("feature table has sessions without a user_id")
    splitter = GroupShuffleSplit(n_splits=1, test_size=test_size, random_state=seed)
    train_idx, test_idx = next(splitter.split(frame, groups=frame["user_id"].to_numpy()))
    return (
        frame.iloc[train_idx].reset_index(drop=True),
        frame.iloc[test_idx].reset_index(drop=True),
    )


def _weighted_scores(
    y: np.ndarray, pred: np.ndarray, proba: np.ndarray | None, w: np.ndarray
) -> dict[str, float]:
    total = w.sum()
    out = {"accuracy": float(np.sum(w * (pred == y)) / total)}
    f1s = []
    for cls in (0, 1):
        tp = np.sum(w * ((pred == cls) & (y == cls)))
        fp = np.sum(w * ((pred == cls) & (y != cls)))
        fn = np.sum(w * ((pred != cls) & (y == cls)))
        f1s.append(0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn))
    out["macro_f1"] = float(np.mean(f1s))
    if proba is not None:
        pos = np.sum(w * (y == 1))
        out["roc_auc"] = (
            float(roc_auc_score(y, proba, sample_weight=w)) if 0 < pos < total else float("nan")
        )
    return out


def _user_weights(groups: np.ndarray, n_boot: int, seed: int) -> np.ndarray:
    """(n_boot, n_rows) row weights of a bootstrap that resamples users with replacement."""
    codes, n_users = pd.factorize(groups)[0], len(pd.unique(groups))
    rng = np.random.default_rng(seed)
    draws = rng.multinomial(n_users, np.full(n_users, 1.0 / n_users), size=n_boot)
    return draws[:, codes].astype(float)


@dataclass(frozen=True)
class Scores:
    """Point estimates and 95% bootstrap intervals (users resampled) on the test set."""

    values: dict[str, float]
    ci: dict[str, tuple[float, float]]
    ratio_to_bayes: float | None = None
    ratio_ci: tuple[float, float] | None = None


def score(
    y: np.ndarray,
    pred: np.ndarray,
    proba: np.ndarray | None,
    groups: np.ndarray,
    *,
    bayes_posterior: np.ndarray | None = None,
    n_boot: int = 1000,
    seed: int = 0,
) -> Scores:
    """Accuracy, macro-F1 and ROC AUC with user-level bootstrap CIs.

    With ``bayes_posterior`` (P(M) of the same sessions) it also gives the accuracy's ratio to
    the Bayes-optimal expected accuracy, paired on the same bootstrap resamples.
    """
    y = np.asarray(y, dtype=int)
    pred = np.asarray(pred, dtype=int)
    values = _weighted_scores(y, pred, proba, np.ones(len(y)))
    weights = _user_weights(np.asarray(groups), n_boot, seed)
    boots = [_weighted_scores(y, pred, proba, w) for w in weights]
    ci = {
        k: (float(np.nanpercentile(b, 2.5)), float(np.nanpercentile(b, 97.5)))
        for k in values
        for b in [np.array([s[k] for s in boots])]
    }
    if bayes_posterior is None:
        return Scores(values, ci)
    ceiling = np.maximum(bayes_posterior, 1 - bayes_posterior)
    ratio = values["accuracy"] / float(np.mean(ceiling))
    ratios = np.array([s["accuracy"] for s in boots]) / (weights @ ceiling / weights.sum(axis=1))
    return Scores(
        values,
        ci,
        ratio_to_bayes=ratio,
        ratio_ci=(float(np.percentile(ratios, 2.5)), float(np.percentile(ratios, 97.5))),
    )


def age_group(age: pd.Series) -> np.ndarray:
    """young / middle / old by the lab's thresholds, "unknown" when missing."""
    return np.array(
        [("unknown" if pd.isna(a) else age_segment(int(a))) for a in age], dtype=object
    )


def per_age_group(
    y: np.ndarray, pred: np.ndarray, age: pd.Series, bayes_posterior: np.ndarray | None = None
) -> pd.DataFrame:
    """Accuracy and macro-F1 per age group (plus "total"), and the Bayes accuracy per group."""
    y = np.asarray(y, dtype=int)
    pred = np.asarray(pred, dtype=int)
    groups = age_group(age)
    rows = []
    for name in ("total", *AGE_GROUPS):
        mask = np.ones(len(y), dtype=bool) if name == "total" else groups == name
        if not mask.any():
            continue
        s = _weighted_scores(y[mask], pred[mask], None, np.ones(int(mask.sum())))
        row: dict[str, object] = {"group": name, "n": int(mask.sum()), **s}
        if bayes_posterior is not None:
            bp = np.asarray(bayes_posterior)[mask]
            row["bayes_accuracy"] = float(np.mean(np.maximum(bp, 1 - bp)))
        rows.append(row)
    return pd.DataFrame(rows)
