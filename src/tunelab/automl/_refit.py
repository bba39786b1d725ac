"""Refit the best trial's configuration as ONE model on all training rows.

The final model keeps the fold models of each member (a bag): their out-of-fold predictions
are what chose and weighted them. A bag predicts k times slower than one model, so, when the
time budget still allows it, the best configuration is also refitted once on every training
row — as AutoGluon's ``refit_full`` does. Boosting families train the mean of the folds'
early-stopped round counts. That model is ``AutoML.refit_model_`` (the fast single model to
deploy); it has no out-of-fold score of its own, so the leaderboard keeps the bag's.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from tunelab.executors import Call, CallEnd, EndState, LocalProcessExecutor, Resources
from tunelab.models import get_model_spec
from tunelab.search import (
    SearchProblem,
    SearchResult,
    TrialData,
    TrialOutcome,
    fit_fold_model,
    resample_training_rows,
)

# A refit starts only if SAFETY x its expected time is left before the budget's end.
SAFETY = 1.3
# Speed-up of a refit with 2+ threads over the trials' single thread (boosting, forests).
THREAD_SPEEDUP = 1.6


@dataclass(frozen=True)
class Refit:
    """The refitted model (or None) and why."""

    model: Any
    number: int | None
    note: str
    seconds: float = 0.0
    expected: float = 0.0  # the seconds it was expected to take


def refit_params(family: str, params: dict[str, Any], fold_models: list[Any]) -> dict[str, Any]:
    """``params`` for a refit on all rows without validation data.

    A boosting family trains the mean of its folds' early-stopped round counts, with the
    family's own refit settings (e.g. no internal early stopping for histogram boosting).
    """
    spec = get_model_spec(family)
    if spec.rounds_param is None:
        return dict(params)
    best = [spec.best_iteration(m.estimator_) for m in fold_models]
    stopped = [(m, b) for m, b in zip(fold_models, best, strict=True) if b]
    if not stopped:
        return dict(params)
    fixed = spec.refit_params(params, stopped[0][0].estimator_)
    rounds = max(1, round(float(np.mean([b for _, b in stopped]))))
    return {**fixed, spec.rounds_param: rounds}


def refit_seed(problem: SearchProblem, data: TrialData) -> int:
    """The sampling seed of the training part "all rows" (the folds take seed + 0..k-1)."""
    return problem.seed + len(data.folds)


def needs_refit(outcome: TrialOutcome, data: TrialData) -> bool:
    """False when the trial's one model was already fitted on every row (no validation)."""
    n_models = len(outcome.models or [])
    return not (n_models == 1 and len(data.folds) == 1 and len(data.folds[0][1]) == 0)


def expected_refit_seconds(outcome: TrialOutcome, data: TrialData, n_jobs: int) -> float:
    """A refit's expected time: one fold's fit time, scaled to all rows and ``n_jobs``."""
    n_folds = max(1, len(data.folds))
    fold_rows = float(np.mean([len(train) for train, _ in data.folds])) if data.folds else 1.0
    expected = outcome.fit_time / n_folds * (data.n_rows / max(fold_rows, 1.0))
    return expected / THREAD_SPEEDUP if n_jobs > 1 else expected


def refit_threads(
    outcome: TrialOutcome, data: TrialData, n_jobs: int, time_left: float | None
) -> tuple[int, float]:
    """Threads for a refit and its expected seconds with them.

    One thread whenever its expected time (the trials' own speed: they ran single-threaded
    on this machine) fits in ``time_left`` with the usual safety; ``n_jobs`` threads when it
    does not, or without a time limit (``None``). Threads pay only on large fits: on small
    ones OpenMP's synchronisation per round dominates. Measured 2026-12-08 on a busy 2-core
    machine: a 2-thread LightGBM refit of 1,400 rows in a forked child ran 3-15x slower than
    one thread (a 200-row one did not end in 60 s), so the refit reached the budget's end
    and was dropped.
    """
    single = expected_refit_seconds(outcome, data, 1)
    if n_jobs <= 1 or (time_left is not None and SAFETY * single <= time_left):
        return 1, single
    return n_jobs, expected_refit_seconds(outcome, data, n_jobs)


def refit_reserve(
    data: TrialData, n_jobs: int, *, cap: float, top: int = 1
) -> Callable[[list[TrialOutcome]], float]:
    """For :class:`SearchOptions.reserve`: the time to keep for refitting the best trials.

    ``SAFETY`` x the expected refit time of the ``top`` best kept trials (those likely to
    be refitted: the best single model, the heaviest ensemble members). The search ends
    that much earlier, so that the refits still fit in the budget; at most ``cap`` seconds,
    so that slow trials cannot eat the search.
    """

    def reserve(ranked: list[TrialOutcome]) -> float:
        seconds = sum(
            expected_refit_seconds(o, data, n_jobs) for o in ranked[:top] if needs_refit(o, data)
        )
        return min(cap, SAFETY * seconds)

    return reserve


def _refit_call(
    family: str,
    params: dict[str, Any],
    problem: SearchProblem,
    X: Any,
    y: Any,
    deadline: float | None,
) -> Any:
    """One model of ``family`` on every row (no validation data): what a refit runs."""
    model, _ = fit_fold_model(family, params, problem, X, y, None, None, deadline=deadline)
    return model


def fit_before(end: float | None, args: tuple[Any, ...], *, cpus: int) -> tuple[Any, str]:
    """``_refit_call(*args)``: in this process without ``end``; else in a forked child
    killed at ``end`` (a refit slower than expected, e.g. on a busy machine, cannot run
    past the budget). Returns ``(model, "")``, or ``(None, why)`` when none came back."""
    if end is None:
        return _refit_call(*args), ""
    executor = LocalProcessExecutor(1)
    try:
        timeout = max(0.0, end - time.monotonic())
        executor.submit(Call(0, _refit_call, args, timeout, Resources(cpus=cpus)))
        ended: list[CallEnd] = []
        while not ended:
            ended = executor.wait(timeout=max(0.05, end - time.monotonic()))
    finally:
        executor.shutdown()
    if ended[0].state is EndState.RETURNED:
        return ended[0].value, ""
    if ended[0].state is EndState.TIMED_OUT:
        return None, "the refit reached the budget end"
    return None, ended[0].reason or str(ended[0].state)


def refit_best(
    result: SearchResult,
    data: TrialData,
    problem: SearchProblem,
    *,
    end: float | None,
    n_jobs: int,
    number: int | None = None,
    slowdown: float = 1.0,
) -> Refit:
    """Refit a kept trial on ``data`` (all its rows) if it fits before ``end``.

    ``number`` is the trial to refit; by default the best one. ``slowdown`` scales the
    expected time (measured on earlier refits of the same fit: a busy machine).
    """
    number = result.best_number if number is None else number
    if number is None or number not in result.kept:
        return Refit(None, None, "no successful trial to refit")
    outcome = result.kept[number]
    models = list(outcome.models or [])
    if not needs_refit(outcome, data):
        return Refit(None, number, "the best trial was already fitted on all rows")
    now = time.monotonic()
    slow = max(1.0, slowdown)
    cpus, expected = refit_threads(
        outcome, data, n_jobs, None if end is None else (end - now) / slow
    )
    expected *= slow
    if end is not None and now + SAFETY * expected > end:
        return Refit(None, number, f"skipped: ~{expected:.1f} s needed, budget nearly spent")
    family, params = outcome.task.family, outcome.task.params
    threads = dataclasses.replace(problem, threads_per_trial=cpus)
    # the refit's training part is sampled as the folds' were (balancing, synthetic rows)
    X, y = resample_training_rows(
        data.X, data.y, problem.sampling, problem.task, seed=refit_seed(problem, data)
    )
    args = (family, refit_params(family, params, models), threads, X, y, end)
    model, reason = fit_before(end, args, cpus=cpus)
    seconds = time.monotonic() - now
    if model is None or (end is not None and time.monotonic() >= end):
        dropped = f"dropped: {reason or 'the refit reached the budget end'}"
        return Refit(None, number, dropped, seconds, expected)
    note = f"refitted trial {number} on {data.n_rows} rows"
    return Refit(model, number, note, seconds, expected)


def slowdown_of(refits: list[Refit]) -> float:
    """How much slower than expected the refits made so far ran (at least 1)."""
    done = [r for r in refits if r.expected > 0 and r.seconds > 0]
    if not done:
        return 1.0
    return max(1.0, max(r.seconds / r.expected for r in done))
