"""How like the real rows synthetic rows are: per-column distances and a discriminator."""

from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import ks_2samp
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import StratifiedKFold, cross_val_score
from threadpoolctl import threadpool_limits

from tunelab.synthetic._marginals import is_numeric

DISCRIMINATOR_ROWS = 2000  # rows of each side the discriminator sees at most
DISCRIMINATOR_FOLDS = 3


def column_distances(real: pd.DataFrame, synthetic: pd.DataFrame) -> list[dict[str, Any]]:
    """Per column: the Kolmogorov–Smirnov statistic (numbers, datetimes) or the total
    variation distance of the category shares (others); 0 is identical, 1 disjoint."""
    out: list[dict[str, Any]] = []
    for column in real.columns:
        a, b = real[column], synthetic[column]
        if is_numeric(a):
            a_num, b_num = _numbers(a.dropna()), _numbers(b.dropna())
            value = float(ks_2samp(a_num, b_num).statistic) if len(a_num) and len(b_num) else 1.0
            out.append({"column": str(column), "distance": "ks", "value": value})
        else:
            p = a.astype(object).fillna("<missing>").value_counts(normalize=True)
            q = b.astype(object).fillna("<missing>").value_counts(normalize=True)
            keys = p.index.union(q.index)
            value = 0.5 * float(
                np.abs(p.reindex(keys, fill_value=0) - q.reindex(keys, fill_value=0)).sum()
            )
            out.append({"column": str(column), "distance": "tv", "value": value})
    return out


def _numbers(series: pd.Series) -> np.ndarray:
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return series.astype("int64").to_numpy(dtype=np.float64)
    return series.to_numpy(dtype=np.float64)


def _encode(frame: pd.DataFrame, reference: pd.DataFrame) -> np.ndarray:
    """Numbers as they are, categories as codes of the reference's categories."""
    columns = []
    for column in reference.columns:
        if is_numeric(reference[column]):
            columns.append(_numbers(frame[column]))
        else:
            levels = {v: i for i, v in enumerate(pd.unique(reference[column].astype(object)))}
            codes = [levels.get(v, -1) for v in frame[column].astype(object)]
            columns.append(np.asarray(codes, dtype=np.float64))
    return np.column_stack(columns) if columns else np.zeros((len(frame), 0))


def discriminator_auc(real: pd.DataFrame, synthetic: pd.DataFrame, *, seed: int) -> float:
    """Cross-validated ROC AUC of a classifier telling real rows from synthetic ones.

    0.5: indistinguishable; 1.0: every synthetic row is recognised. At most
    ``DISCRIMINATOR_ROWS`` rows of each side, gradient boosting, 3-fold stratified CV.
    """
    rng = np.random.default_rng(seed)
    n = min(len(real), len(synthetic), DISCRIMINATOR_ROWS)
    if n < DISCRIMINATOR_FOLDS:
        return float("nan")
    a = real.iloc[np.sort(rng.choice(len(real), n, replace=False))]
    b = synthetic.iloc[np.sort(rng.choice(len(synthetic), n, replace=False))]
    X = np.vstack([_encode(a, real), _encode(b, real)])
    y = np.r_[np.zeros(n), np.ones(n)]
    model = HistGradientBoostingClassifier(max_iter=100, random_state=seed)
    folds = StratifiedKFold(DISCRIMINATOR_FOLDS, shuffle=True, random_state=seed)
    with threadpool_limits(1):  # one thread: OpenMP threads crawl on a shared machine
        scores = cross_val_score(model, X, y, cv=folds, scoring="roc_auc")
    return float(np.mean(scores))
