"""Vectorised twins of the registry's metrics, scoring many bootstrap resamples at once.

Inputs are stacked resamples: ``yt`` and ``yp`` of shape ``(R, n)`` and ``pr`` of shape
``(R, n, k)``; each function returns ``(R,)`` scores, ``nan`` where a score is undefined.
Results match the single-sample functions in ``_metrics`` (tests compare them).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.stats import rankdata

Arr = np.ndarray
Fn = Callable[[Arr, Arr | None, Arr | None], Arr]


def _div(num: Arr, den: Arr) -> Arr:
    return np.divide(num, den, out=np.zeros(np.broadcast(num, den).shape), where=den > 0)


def _counts(yt: Arr, yp: Arr) -> tuple[Arr, Arr, Arr]:
    """Per resample and class: true positives, true counts, predicted counts (R, k)."""
    yt, yp = yt.astype(np.int64), yp.astype(np.int64)
    r = yt.shape[0]
    k = int(max(yt.max(), yp.max())) + 1
    offset = (np.arange(r) * k)[:, None]
    size = r * k
    t = np.bincount((offset + yt).ravel(), minlength=size).reshape(r, k)
    p = np.bincount((offset + yp).ravel(), minlength=size).reshape(r, k)
    tp = np.bincount((offset + yt).ravel(), weights=(yt == yp).ravel(), minlength=size)
    return tp.reshape(r, k), t.astype(float), p.astype(float)


def _per_class(kind: str, tp: Arr, t: Arr, p: Arr) -> Arr:
    if kind == "precision":
        return _div(tp, p)
    if kind == "recall":
        return _div(tp, t)
    return _div(2 * tp, t + p)


def accuracy(yt: Arr, yp: Arr | None, pr: Arr | None) -> Arr:
    assert yp is not None
    return np.asarray(np.mean(yt == yp, axis=1), dtype=float)


def balanced_accuracy(yt: Arr, yp: Arr | None, pr: Arr | None) -> Arr:
    assert yp is not None
    tp, t, _ = _counts(yt, yp)
    present = t > 0
    return np.sum(_div(tp, t) * present, axis=1) / present.sum(axis=1)


def mcc(yt: Arr, yp: Arr | None, pr: Arr | None) -> Arr:
    assert yp is not None
    tp, t, p = _counts(yt, yp)
    c, s = tp.sum(axis=1), t.sum(axis=1)
    cov_tp = c * s - np.sum(t * p, axis=1)
    cov_pp = s**2 - np.sum(p * p, axis=1)
    cov_tt = s**2 - np.sum(t * t, axis=1)
    den = np.sqrt(cov_tt * cov_pp)
    return _div(cov_tp, den)


def binary_score(kind: str) -> Fn:
    def score(yt: Arr, yp: Arr | None, pr: Arr | None) -> Arr:
        assert yp is not None
        pos_t, pos_p = yt == 1, yp == 1
        tp = np.sum(pos_t & pos_p, axis=1).astype(float)
        t, p = pos_t.sum(axis=1).astype(float), pos_p.sum(axis=1).astype(float)
        return _per_class(kind, tp, t, p)

    return score


def averaged_score(kind: str, average: str) -> Fn:
    def score(yt: Arr, yp: Arr | None, pr: Arr | None) -> Arr:
        assert yp is not None
        tp, t, p = _counts(yt, yp)
        if average == "micro":
            return _per_class(kind, tp.sum(axis=1), t.sum(axis=1), p.sum(axis=1))
        values = _per_class(kind, tp, t, p)
        if average == "weighted":
            return _div(np.sum(values * t, axis=1), t.sum(axis=1))
        present = (t + p) > 0
        return np.sum(values * present, axis=1) / present.sum(axis=1)

    return score


def _auc(pos: Arr, neg: Arr, score: Arr) -> Arr:
    """Mann-Whitney AUC of ``pos`` vs ``neg`` rows (other rows ignored) per resample."""
    masked = np.where(pos | neg, score, np.inf)  # ignored rows take the top ranks
    ranks = rankdata(masked, axis=1)
    n_pos = pos.sum(axis=1).astype(float)
    n_neg = neg.sum(axis=1).astype(float)
    rank_sum = np.sum(np.where(pos, ranks, 0.0), axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        auc = (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)
    return np.where((n_pos > 0) & (n_neg > 0), auc, np.nan)


def _nanmean_rows(values: Arr) -> Arr:
    ok = np.isfinite(values)
    total = np.sum(np.where(ok, values, 0.0), axis=1)
    count = ok.sum(axis=1)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def roc_auc_binary(yt: Arr, yp: Arr | None, pr: Arr | None) -> Arr:
    assert pr is not None
    return _auc(yt == 1, yt != 1, pr[..., -1])


def roc_auc_ovr(yt: Arr, yp: Arr | None, pr: Arr | None) -> Arr:
    assert pr is not None
    per = [_auc(yt == c, yt != c, pr[..., c]) for c in range(pr.shape[2])]
    return _nanmean_rows(np.stack(per, axis=1))


def roc_auc_ovo(yt: Arr, yp: Arr | None, pr: Arr | None) -> Arr:
    assert pr is not None
    k = pr.shape[2]
    per = []
    for a in range(k):
        for b in range(a + 1, k):
            ia, ib = yt == a, yt == b
            per.append((_auc(ia, ib, pr[..., a]) + _auc(ib, ia, pr[..., b])) / 2.0)
    return _nanmean_rows(np.stack(per, axis=1)) if per else np.full(len(yt), np.nan)


def _average_precision(pos: Arr, score: Arr) -> Arr:
    order = np.argsort(-score, axis=1, kind="stable")
    s = np.take_along_axis(score, order, axis=1)
    y = np.take_along_axis(pos, order, axis=1).astype(float)
    tp = np.cumsum(y, axis=1)
    seen = np.arange(1, y.shape[1] + 1)[None, :]
    end = np.ones_like(s, dtype=bool)
    end[:, :-1] = s[:, :-1] != s[:, 1:]
    tp_end = np.where(end, tp, 0.0)
    prev = np.zeros_like(tp)
    prev[:, 1:] = np.maximum.accumulate(tp_end, axis=1)[:, :-1]
    n_pos = y.sum(axis=1)
    gained = np.where(end, (tp / seen) * (tp - prev), 0.0).sum(axis=1)
    return np.where(n_pos > 0, gained / np.maximum(n_pos, 1), np.nan)


def average_precision_binary(yt: Arr, yp: Arr | None, pr: Arr | None) -> Arr:
    assert pr is not None
    return _average_precision(yt == 1, pr[..., -1])


def average_precision_macro(yt: Arr, yp: Arr | None, pr: Arr | None) -> Arr:
    assert pr is not None
    per = [_average_precision(yt == c, pr[..., c]) for c in range(pr.shape[2])]
    return _nanmean_rows(np.stack(per, axis=1))


def log_loss(yt: Arr, yp: Arr | None, pr: Arr | None) -> Arr:
    assert pr is not None
    clipped = np.clip(pr, 0.0, None)
    sums = clipped.sum(axis=2, keepdims=True)
    probs = clipped / np.where(sums == 0, 1.0, sums)
    eps = np.finfo(probs.dtype).eps
    picked = np.take_along_axis(probs, yt.astype(int)[..., None], axis=2)[..., 0]
    return np.asarray(-np.mean(np.log(np.clip(picked, eps, 1 - eps)), axis=1))


def _err(yt: Arr, yp: Arr | None) -> Arr:
    assert yp is not None
    return yt.astype(float) - yp.astype(float)


def mse(yt: Arr, yp: Arr | None, pr: Arr | None) -> Arr:
    return np.asarray(np.mean(_err(yt, yp) ** 2, axis=1))


def rmse(yt: Arr, yp: Arr | None, pr: Arr | None) -> Arr:
    return np.sqrt(mse(yt, yp, pr))


def mae(yt: Arr, yp: Arr | None, pr: Arr | None) -> Arr:
    return np.asarray(np.mean(np.abs(_err(yt, yp)), axis=1))


def median_ae(yt: Arr, yp: Arr | None, pr: Arr | None) -> Arr:
    return np.asarray(np.median(np.abs(_err(yt, yp)), axis=1))


def mape(yt: Arr, yp: Arr | None, pr: Arr | None) -> Arr:
    den = np.maximum(np.abs(yt.astype(float)), np.finfo(np.float64).eps)
    return np.asarray(np.mean(np.abs(_err(yt, yp)) / den, axis=1))


def rmsle(yt: Arr, yp: Arr | None, pr: Arr | None) -> Arr:
    assert yp is not None
    if np.any(yt < 0) or np.any(yp < 0):
        return np.full(len(yt), np.nan)
    diff = np.log1p(yt.astype(float)) - np.log1p(yp.astype(float))
    return np.sqrt(np.mean(diff**2, axis=1))


def r2(yt: Arr, yp: Arr | None, pr: Arr | None) -> Arr:
    y = yt.astype(float)
    ss_res = np.sum(_err(yt, yp) ** 2, axis=1)
    ss_tot = np.sum((y - y.mean(axis=1, keepdims=True)) ** 2, axis=1)
    return np.where(ss_tot > 0, 1.0 - ss_res / np.where(ss_tot > 0, ss_tot, 1.0), np.nan)
