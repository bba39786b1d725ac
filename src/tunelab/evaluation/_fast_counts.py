"""Bootstrap scores from draw counts: no resample is ever materialised.

A bootstrap resample is a multiset of the original rows, so any metric of it is a weighted
metric of the original rows, each weighted by how many times it was drawn. ``counts`` has
shape ``(R, n)`` (each row sums to ``n``). Each entry of :data:`FROM_COUNTS` takes the
original ``(y_true, y_pred, proba)`` once, precomputes what it can (per-row losses, one-hot
class indicators, a single sort by score) and returns a function ``counts -> (R,) scores``.
Means become matrix-vector products; ranking metrics (ROC AUC, average precision) sort once
instead of once per resample. Results equal the metrics applied to the
materialised resamples (tests compare them with the registry's metric functions), up to
floating-point summation order.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from tunelab.evaluation import _metrics as m

Arr = np.ndarray
Scorer = Callable[[Arr], Arr]
Prepare = Callable[[Arr, Arr | None, Arr | None], Scorer]


def _div(num: Arr, den: Arr) -> Arr:
    return np.divide(num, den, out=np.zeros(np.broadcast(num, den).shape), where=den > 0)


def _per_class(kind: str, tp: Arr, t: Arr, p: Arr) -> Arr:
    if kind == "precision":
        return _div(tp, p)
    if kind == "recall":
        return _div(tp, t)
    return _div(2 * tp, t + p)


def _nanmean_rows(values: Arr) -> Arr:
    ok = np.isfinite(values)
    total = np.sum(np.where(ok, values, 0.0), axis=1)
    count = ok.sum(axis=1)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _weighted_mean(per_row: Arr) -> Scorer:
    values = np.asarray(per_row, dtype=float)
    n = max(len(values), 1)
    return lambda counts: counts @ values / n


# -- ranking metrics ----------------------------------------------------------------------
def pair_auc(pos: Arr, neg: Arr, score: Arr, counts: Arr) -> Arr:
    """Weighted Mann-Whitney AUC of ``pos`` vs ``neg`` rows (others ignored), ties 1/2."""
    rows = np.flatnonzero(pos | neg)
    if rows.size == 0:
        return np.full(counts.shape[0], np.nan)
    order = rows[np.argsort(score[rows], kind="stable")]
    ordered = score[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    weights = counts[:, order]
    positive = np.where(pos[order], weights, 0.0)
    group_pos = np.add.reduceat(positive, starts, axis=1)
    group_neg = np.add.reduceat(weights, starts, axis=1) - group_pos
    below = np.cumsum(group_neg, axis=1) - group_neg
    wins = np.sum(group_pos * (below + 0.5 * group_neg), axis=1)
    n_pos, n_neg = group_pos.sum(axis=1), group_neg.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        auc = wins / (n_pos * n_neg)
    return np.where((n_pos > 0) & (n_neg > 0), auc, np.nan)


def average_precision(pos: Arr, score: Arr, counts: Arr) -> Arr:
    """Weighted average precision (sklearn's step definition, tied scores grouped)."""
    order = np.argsort(-score, kind="stable")
    ordered = score[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    weights = counts[:, order]
    hits = np.where(pos[order], weights, 0.0)
    tp = np.cumsum(np.add.reduceat(hits, starts, axis=1), axis=1)
    seen = np.cumsum(np.add.reduceat(weights, starts, axis=1), axis=1)
    gained_tp = np.diff(tp, axis=1, prepend=0.0)
    precision = _div(tp, seen)
    n_pos = tp[:, -1]
    gained = np.sum(precision * gained_tp, axis=1)
    return np.where(n_pos > 0, gained / np.maximum(n_pos, 1), np.nan)


def _roc_auc_binary(yt: Arr, yp: Arr | None, pr: Arr | None) -> Scorer:
    assert pr is not None
    return lambda c: pair_auc(yt == 1, yt != 1, pr[:, -1], c)


def _roc_auc_ovr(yt: Arr, yp: Arr | None, pr: Arr | None) -> Scorer:
    assert pr is not None
    k = pr.shape[1]
    return lambda c: _nanmean_rows(
        np.stack([pair_auc(yt == j, yt != j, pr[:, j], c) for j in range(k)], axis=1)
    )


def _roc_auc_ovo(yt: Arr, yp: Arr | None, pr: Arr | None) -> Scorer:
    assert pr is not None
    k = pr.shape[1]

    def score(c: Arr) -> Arr:
        per = []
        for a in range(k):
            for b in range(a + 1, k):
                ia, ib = yt == a, yt == b
                per.append((pair_auc(ia, ib, pr[:, a], c) + pair_auc(ib, ia, pr[:, b], c)) / 2)
        return _nanmean_rows(np.stack(per, axis=1)) if per else np.full(len(c), np.nan)

    return score


def _ap_binary(yt: Arr, yp: Arr | None, pr: Arr | None) -> Scorer:
    assert pr is not None
    return lambda c: average_precision(yt == 1, pr[:, -1], c)


def _ap_macro(yt: Arr, yp: Arr | None, pr: Arr | None) -> Scorer:
    assert pr is not None
    k = pr.shape[1]
    return lambda c: _nanmean_rows(
        np.stack([average_precision(yt == j, pr[:, j], c) for j in range(k)], axis=1)
    )


# -- label metrics: per-class counts as matrix products ------------------------------------
def _class_counts(yt: Arr, yp: Arr) -> Callable[[Arr], tuple[Arr, Arr, Arr]]:
    """counts -> per resample and class: true positives, true counts, predicted counts."""
    yt, yp = yt.astype(np.int64), yp.astype(np.int64)
    k = int(max(yt.max(initial=0), yp.max(initial=0))) + 1
    true = np.eye(k)[yt]
    pred = np.eye(k)[yp]
    hit = true * (yt == yp)[:, None]
    return lambda c: (c @ hit, c @ true, c @ pred)


def _accuracy(yt: Arr, yp: Arr | None, pr: Arr | None) -> Scorer:
    assert yp is not None
    return _weighted_mean(yt == yp)


def _balanced_accuracy(yt: Arr, yp: Arr | None, pr: Arr | None) -> Scorer:
    assert yp is not None
    per_class = _class_counts(yt, yp)

    def score(c: Arr) -> Arr:
        tp, t, _ = per_class(c)
        present = t > 0
        return np.sum(_div(tp, t) * present, axis=1) / present.sum(axis=1)

    return score


def _mcc(yt: Arr, yp: Arr | None, pr: Arr | None) -> Scorer:
    assert yp is not None
    per_class = _class_counts(yt, yp)

    def score(c: Arr) -> Arr:
        tp, t, p = per_class(c)
        hits, total = tp.sum(axis=1), t.sum(axis=1)
        cov_tp = hits * total - np.sum(t * p, axis=1)
        cov_pp = total**2 - np.sum(p * p, axis=1)
        cov_tt = total**2 - np.sum(t * t, axis=1)
        return _div(cov_tp, np.sqrt(cov_tt * cov_pp))

    return score


def _binary(kind: str) -> Prepare:
    def prepare(yt: Arr, yp: Arr | None, pr: Arr | None) -> Scorer:
        assert yp is not None
        pos_t, pos_p = (yt == 1).astype(float), (yp == 1).astype(float)
        both = pos_t * pos_p
        return lambda c: _per_class(kind, c @ both, c @ pos_t, c @ pos_p)

    return prepare


def _averaged(kind: str, average: str) -> Prepare:
    def prepare(yt: Arr, yp: Arr | None, pr: Arr | None) -> Scorer:
        assert yp is not None
        per_class = _class_counts(yt, yp)

        def score(c: Arr) -> Arr:
            tp, t, p = per_class(c)
            if average == "micro":
                return _per_class(kind, tp.sum(axis=1), t.sum(axis=1), p.sum(axis=1))
            values = _per_class(kind, tp, t, p)
            if average == "weighted":
                return _div(np.sum(values * t, axis=1), t.sum(axis=1))
            present = (t + p) > 0
            return np.sum(values * present, axis=1) / present.sum(axis=1)

        return score

    return prepare


def _log_loss(yt: Arr, yp: Arr | None, pr: Arr | None) -> Scorer:
    assert pr is not None
    clipped = np.clip(pr, 0.0, None)
    sums = clipped.sum(axis=1, keepdims=True)
    probs = clipped / np.where(sums == 0, 1.0, sums)
    eps = np.finfo(probs.dtype).eps
    picked = probs[np.arange(len(yt)), yt.astype(int)]
    return _weighted_mean(-np.log(np.clip(picked, eps, 1 - eps)))


# -- regression ----------------------------------------------------------------------------
def _errors(yt: Arr, yp: Arr | None) -> Arr:
    assert yp is not None
    return yt.astype(float) - yp.astype(float)


def _mse(yt: Arr, yp: Arr | None, pr: Arr | None) -> Scorer:
    return _weighted_mean(_errors(yt, yp) ** 2)


def _rmse(yt: Arr, yp: Arr | None, pr: Arr | None) -> Scorer:
    mse = _mse(yt, yp, pr)
    return lambda c: np.sqrt(mse(c))


def _mae(yt: Arr, yp: Arr | None, pr: Arr | None) -> Scorer:
    return _weighted_mean(np.abs(_errors(yt, yp)))


def _mape(yt: Arr, yp: Arr | None, pr: Arr | None) -> Scorer:
    den = np.maximum(np.abs(yt.astype(float)), np.finfo(np.float64).eps)
    return _weighted_mean(np.abs(_errors(yt, yp)) / den)


def _rmsle(yt: Arr, yp: Arr | None, pr: Arr | None) -> Scorer:
    assert yp is not None
    negative = ((yt < 0) | (yp < 0)).astype(float)
    safe_t = np.where(negative > 0, 0.0, yt.astype(float))
    safe_p = np.where(negative > 0, 0.0, yp.astype(float))
    mean_sq = _weighted_mean((np.log1p(safe_t) - np.log1p(safe_p)) ** 2)
    return lambda c: np.where(c @ negative > 0, np.nan, np.sqrt(mean_sq(c)))


def _r2(yt: Arr, yp: Arr | None, pr: Arr | None) -> Scorer:
    y = yt.astype(float)
    squared_errors = _errors(yt, yp) ** 2
    centre = y.mean() if len(y) else 0.0  # shift for numerical stability
    shifted = y - centre

    def score(c: Arr) -> Arr:
        n = c.sum(axis=1)
        ss_res = c @ squared_errors
        total, total_sq = c @ shifted, c @ (shifted**2)
        ss_tot = total_sq - total**2 / np.maximum(n, 1)
        ok = ss_tot > 1e-12 * np.maximum(total_sq, 1e-300)
        return np.where(ok, 1.0 - ss_res / np.where(ok, ss_tot, 1.0), np.nan)

    return score


def _median_ae(yt: Arr, yp: Arr | None, pr: Arr | None) -> Scorer:
    errors = np.abs(_errors(yt, yp))
    order = np.argsort(errors, kind="stable")
    ordered = errors[order]

    def score(c: Arr) -> Arr:
        cumulative = np.cumsum(c[:, order], axis=1)
        n = cumulative[:, -1:]
        low = (cumulative <= (n - 1) // 2).sum(axis=1)  # position (n-1)//2 of the multiset
        high = (cumulative <= n // 2).sum(axis=1)
        last = len(ordered) - 1
        return (ordered[np.minimum(low, last)] + ordered[np.minimum(high, last)]) / 2.0

    return score


FROM_COUNTS: dict[object, Prepare] = {
    m._accuracy: _accuracy,
    m._balanced_accuracy: _balanced_accuracy,
    m._mcc: _mcc,
    m._f1_binary: _binary("f1"),
    m._precision_binary: _binary("precision"),
    m._recall_binary: _binary("recall"),
    m._f1_macro: _averaged("f1", "macro"),
    m._f1_micro: _averaged("f1", "micro"),
    m._f1_weighted: _averaged("f1", "weighted"),
    m._precision_macro: _averaged("precision", "macro"),
    m._precision_micro: _averaged("precision", "micro"),
    m._precision_weighted: _averaged("precision", "weighted"),
    m._recall_macro: _averaged("recall", "macro"),
    m._recall_micro: _averaged("recall", "micro"),
    m._recall_weighted: _averaged("recall", "weighted"),
    m._roc_auc_binary: _roc_auc_binary,
    m._roc_auc_ovr: _roc_auc_ovr,
    m._roc_auc_ovo: _roc_auc_ovo,
    m._average_precision_binary: _ap_binary,
    m._average_precision_macro: _ap_macro,
    m._log_loss: _log_loss,
    m._r2: _r2,
    m._mse: _mse,
    m._rmse: _rmse,
    m._mae: _mae,
    m._median_ae: _median_ae,
    m._mape: _mape,
    m._rmsle: _rmsle,
}
