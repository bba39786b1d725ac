"""Choose the best single model among those that predict fast enough (``infer_limit``).

``AutoML(infer_limit=s)`` asks for a best single model (``best_model_``, the one refitted on
all rows) that predicts a batch in at most ``s`` seconds per row, as AutoGluon's
``infer_limit`` does. After the search, the kept trials are tried best first: each of a
trial's fold models predicts its share of a batch of ``BATCH_ROWS`` training rows with
``n_jobs`` threads (a refit trains their mean number of boosting rounds, so its speed is
about that of their mean time), and the first trial fast enough is chosen. The search
itself and the ensemble are not constrained: slower trials stay on the leaderboard and may
be ensemble members.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from tunelab.search import SearchResult, TrialData

BATCH_ROWS = 10_000  # the batch size the limit is measured at
PROBE_ROWS = 1_000  # a first, short measure: clearly slow models stop here
# A one-fold model must be this much faster than the limit: the refit learns from more rows
# (larger trees and forests) and a measurement on a shared machine varies.
MARGIN = 1.2
# Measuring stops after this share of the time budget (between 1 and 10 s); the search
# keeps that time free when ``infer_limit`` is set.
MEASURE_SHARE = 0.08


@dataclass(frozen=True)
class SingleChoice:
    """The trial chosen as the best single model, the speeds measured, and why."""

    number: int | None
    rows_per_second: dict[int, float] = field(default_factory=dict)
    note: str = ""


def tile_rows(X: pd.DataFrame, rows: int) -> pd.DataFrame:
    """``X`` repeated (and cut) to exactly ``rows`` rows."""
    copies = -(-rows // max(len(X), 1))
    return pd.concat([X] * copies, ignore_index=True).iloc[:rows]


@contextmanager
def prediction_threads(models: list[Any], threads: int) -> Iterator[None]:
    """Let fitted models' estimators predict with ``threads`` threads for a while."""
    changed: list[tuple[Any, Any]] = []
    for model in models:
        estimator = getattr(model, "estimator_", None)
        get_params = getattr(estimator, "get_params", None)
        params = get_params(deep=False) if get_params is not None else {}
        if estimator is not None and "n_jobs" in params:
            changed.append((estimator, params["n_jobs"]))
            estimator.set_params(n_jobs=threads)
    try:
        yield
    finally:
        for estimator, before in changed:
            estimator.set_params(n_jobs=before)


def rows_per_second(
    models: list[Any], X: pd.DataFrame, *, proba: bool, threads: int, required: float = 0.0
) -> float:
    """Batch prediction speed, in rows per second, of one model like ``models``.

    ``models`` are a trial's fold models; a refit of the trial trains their mean number of
    boosting rounds, so its speed is that of their mean prediction time. Each of the k
    models predicts 1/k of a batch: the total time is the mean model's time on the whole
    batch, at the cost of measuring one model. A probe of ``PROBE_ROWS`` rows comes first:
    if it alone takes longer than a batch of ``BATCH_ROWS`` may at the ``required`` speed,
    its speed is the answer (a fixed overhead cannot fail a model this way). Otherwise a
    batch is timed, a second time after a near miss (the better one counts: the machine may
    be busy).
    """
    predicts = [m.predict_proba if proba else m.predict for m in models]

    def timed(rows: int) -> float:
        """Seconds for the models to predict ``rows`` rows between them."""
        part = tile_rows(X, -(-rows // len(predicts)))
        start = time.perf_counter()
        for predict in predicts:
            predict(part)
        return max(time.perf_counter() - start, 1e-9)

    allowed = BATCH_ROWS / required if required > 0 else float("inf")
    with prediction_threads(models, threads):
        for predict in predicts:
            predict(X.head(min(len(X), 100)))  # warm-up: lazy imports and caches
        probe = timed(PROBE_ROWS)
        if probe > allowed:
            return PROBE_ROWS / probe
        seconds = timed(BATCH_ROWS)
        if seconds <= 1.25 * allowed:  # a near miss: a second run may be luckier
            seconds = min(seconds, timed(BATCH_ROWS))
    return BATCH_ROWS / seconds


def measure_budget(time_budget: float | None) -> float:
    """Seconds the speed measurements may take in all."""
    if time_budget is None:
        return 10.0
    return min(10.0, max(1.0, MEASURE_SHARE * time_budget))


def choose_single(
    result: SearchResult,
    data: TrialData,
    *,
    infer_limit: float,
    proba: bool,
    threads: int,
    seconds: float,
) -> SingleChoice:
    """The best kept trial whose model predicts within ``infer_limit`` seconds per row.

    Trials are measured best first, for at most ``seconds`` in all. When none is fast
    enough, the fastest one measured is chosen and the note says so.
    """
    required = MARGIN / infer_limit
    order = sorted(result.kept, key=lambda n: -result.kept[n].details["signed_score"])
    rates: dict[int, float] = {}
    stop_at = time.monotonic() + seconds
    for number in order:
        if rates and time.monotonic() > stop_at:
            break
        models = result.kept[number].models or []
        if not models:
            continue
        rate = rows_per_second(models, data.X, proba=proba, threads=threads, required=required)
        rates[number] = rate
        if rate >= required:
            rank = order.index(number) + 1
            return SingleChoice(
                number,
                rates,
                f"trial {number} (rank {rank} of {len(order)} kept): {rate:,.0f} rows/s, "
                f"limit {1 / infer_limit:,.0f} rows/s",
            )
    if not rates:
        return SingleChoice(result.best_number, rates, "no kept trial to measure")
    fastest = max(rates, key=lambda n: rates[n])
    return SingleChoice(
        fastest,
        rates,
        f"no trial measured meets {1 / infer_limit:,.0f} rows/s; the fastest, trial "
        f"{fastest} ({rates[fastest]:,.0f} rows/s), was chosen",
    )
