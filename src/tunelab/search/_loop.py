"""The search loop: opening plan, then Optuna ask/tell, under hard time and trial budgets."""

import dataclasses
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from math import inf
from pathlib import Path
from typing import Any

import numpy as np
import optuna

from tunelab.entities import TrialRecord, TrialStatus
from tunelab.evaluation import get_metric
from tunelab.executors import LocalProcessExecutor, TrialExecutor
from tunelab.models import ModelContext, get_model_spec
from tunelab.preprocessing import build_preprocessor
from tunelab.search._callbacks import CallbackList
from tunelab.search._checkpoint import (
    STUDY_NAME,
    InFlight,
    SearchCheckpoint,
    search_fingerprint,
)
from tunelab.search._plan import PlannedTrial, plan_opening
from tunelab.search._pool import TrialPool
from tunelab.search._problem import SearchProblem, TrialData
from tunelab.search._resume import restore_search
from tunelab.search._samplers import make_sampler
from tunelab.search._space import SearchSpace
from tunelab.search._trial import TrialOutcome, TrialTask, running_means

MIN_TRIALS_FOR_PRUNING = 5
PRELOAD_ROWS = 64  # rows the parent fits each preprocessing flavour on before forking
REFIT_REASON = "killed at the search's end (time kept for the refit, ensemble and save)"


@dataclass(frozen=True)
class SearchOptions:
    """How long and how wide to search.

    ``deadline`` is a ``time.monotonic()`` instant after which running trials are killed;
    ``deterministic`` runs trials in synchronous batches so that, with a seed and a trial
    budget, two runs give the same leaderboard.
    """

    families: tuple[str, ...]
    sampler: str = "tpe"
    n_workers: int = 1
    deadline: float | None = None
    trial_timeout: float | None = None
    max_trials: int | None = None
    early_stopping_rounds: int | None = None
    keep_top: int = 8
    # most megabytes of fold models (pickled, as the trials measured them) kept in all: past
    # it the worst kept trials are dropped (the best is always kept); None: no cap
    keep_mb: float | None = None
    memory_limit_mb: float | None = None
    gpus_per_trial: float = 0.0  # reserved per trial by executors that schedule GPUs (Ray)
    deterministic: bool = False
    use_opening: bool = True
    prune: bool = True
    # seconds to keep free before ``deadline`` given the kept trials, best first (e.g. to
    # refit the best on all rows, build the ensemble, save the run): the search stops
    # submitting trials, and running trials are killed, that much before ``deadline``
    reserve: Callable[[list[TrialOutcome]], float] | None = None
    # the configurations to try first instead of the default opening plan (e.g. one trial
    # of an earlier search, fitted again as a model of its own)
    opening: tuple[PlannedTrial, ...] | None = None


@dataclass
class SearchResult:
    """Every trial's record, plus predictions and fold models of the best ``keep_top``."""

    records: list[TrialRecord]
    kept: dict[int, TrialOutcome]
    best_number: int | None
    stop_reason: str
    study: optuna.Study = field(repr=False)
    n_restored: int = 0  # trials restored from a checkpoint instead of run
    elapsed_before: float = 0.0  # seconds of the budget used by earlier (interrupted) attempts


class _Search:
    def __init__(
        self,
        data: TrialData,
        problem: SearchProblem,
        options: SearchOptions,
        callbacks: CallbackList,
        stop_event: threading.Event | None,
        checkpoint: SearchCheckpoint | None,
        executor: TrialExecutor,
    ) -> None:
        self.data = data
        self.executor = executor
        self.problem = problem
        self.options = options
        self.callbacks = callbacks
        self.stop_event = stop_event or threading.Event()
        self.metric = get_metric(problem.metric, problem.task)
        train_rows = len(data.folds[0][0]) if data.folds else data.n_rows
        self.ctx = ModelContext(
            task=problem.task,
            n_rows=train_rows,
            n_features=max(1, data.n_features),
            n_classes=problem.n_classes,
            n_jobs=problem.threads_per_trial,
            random_state=problem.seed,
        )
        self.specs = [get_model_spec(name) for name in options.families]
        self.space = SearchSpace(
            self.specs, self.ctx, grid_points=3 if options.sampler == "grid" else None
        )
        self.checkpoint = checkpoint
        self.deadline = options.deadline
        if checkpoint is not None:
            checkpoint.open(search_fingerprint(data, problem, options.families, options.sampler))
            if self.deadline is not None:
                self.deadline -= checkpoint.elapsed_before
        self.study = optuna.create_study(
            storage=checkpoint.storage() if checkpoint is not None else None,
            study_name=STUDY_NAME if checkpoint is not None else None,
            load_if_exists=checkpoint is not None,
            direction="maximize",
            sampler=make_sampler(options.sampler, problem.seed),
        )
        self.plan: deque[PlannedTrial] = deque(
            list(options.opening)
            if options.opening is not None
            else plan_opening(self.specs, self.ctx)
            if options.use_opening
            else []
        )
        self.records: list[TrialRecord] = []
        self.kept: dict[int, TrialOutcome] = {}
        self.asked: dict[int, optuna.trial.Trial] = {}
        self.durations: dict[str, list[float]] = {}
        self.best: TrialRecord | None = None
        self.best_signed = -np.inf
        self.since_improvement = 0
        self.launched = 0
        self.next_number = 0
        self.reruns: deque[InFlight] = deque()
        self.attempts: dict[int, int] = {}
        self.n_restored = 0
        self.fold_curves: list[list[float]] = []
        if checkpoint is not None:
            restore_search(self, checkpoint)

    @property
    def sampler(self) -> str:
        return self.options.sampler

    # -- scheduling ---------------------------------------------------------------------
    def remaining(self) -> float:
        end = self.end()
        return float("inf") if end is None else end - time.monotonic()

    def end(self) -> float | None:
        """When the search ends: the deadline, less the reserve for the kept trials."""
        if self.deadline is None:
            return None
        return self.deadline - self.reserved()

    def reserved(self) -> float:
        """Seconds kept free before the deadline: ``options.reserve`` of the kept trials
        (asked before any is kept too, for costs that do not depend on them)."""
        reserve = self.options.reserve
        if reserve is None:
            return 0.0
        ranked = sorted(self.kept.values(), key=lambda o: -o.details["signed_score"])
        return max(0.0, float(reserve(ranked)))

    def estimate(self, family: str) -> float | None:
        """Expected seconds for a trial of ``family`` from finished trials (None if unknown)."""
        seen = self.durations.get(family)
        if seen:
            return float(np.median(seen))
        reference = self.durations.get("lightgbm")
        if reference:
            spec = self.space.specs.get(family)
            return float(np.median(reference)) * (spec.cost if spec else 1.0)
        return None

    def new_number(self) -> int:
        self.next_number += 1
        return self.next_number - 1

    def next_task(self) -> TrialTask | None:
        if self.reruns:  # trials interrupted in an earlier run go first, with their numbers
            flight = self.reruns.popleft()
            self.attempts[flight.task.number] = flight.attempts + 1
            return flight.task
        while self.plan:
            family, params, source = self.plan.popleft()
            expected = self.estimate(family)
            if expected is not None and expected > self.remaining():
                continue  # would not finish in time: skip to something cheaper
            return TrialTask(self.new_number(), family, params, source)
        cheapest = min(
            (e for f in self.space.families if (e := self.estimate(f)) is not None), default=0.0
        )
        for _ in range(20):  # the sampler may propose families that cannot finish in time
            if cheapest > self.remaining():
                return None
            trial = self.study.ask()
            family, params = self.space.sample(trial)
            expected = self.estimate(family)
            if expected is None or expected <= self.remaining():
                number = self.new_number()
                self.asked[number] = trial
                return TrialTask(
                    number,
                    family,
                    params,
                    "search",
                    trial.number,
                    prune_thresholds=self.pruning_thresholds(),
                )
            self.study.tell(trial, state=optuna.trial.TrialState.PRUNED)
        return None

    def pruning_thresholds(self) -> tuple[float, ...]:
        """Median over finished trials of the running mean of signed fold scores, per fold.

        Needs at least ``MIN_TRIALS_FOR_PRUNING`` finished trials; empty otherwise.
        """
        curves = [s for s in self.fold_curves if len(s) == len(self.data.folds)]
        if len(curves) < MIN_TRIALS_FOR_PRUNING or not self.options.prune:
            return ()
        return tuple(float(v) for v in np.median(np.asarray(curves), axis=0))

    def may_launch(self, pool: TrialPool) -> bool:
        if self.stop_event.is_set() or self.remaining() <= 0:
            return False
        if self.options.max_trials is not None and self.launched >= self.options.max_trials:
            return False
        rounds = self.options.early_stopping_rounds
        if rounds is not None and self.since_improvement >= rounds:
            return False
        return not (self.options.deterministic and pool.n_running)

    def stop_reason(self) -> str:
        if self.stop_event.is_set():
            return "stopped by request"
        if self.remaining() <= 0:
            return "time budget reached"
        if self.options.max_trials is not None and self.launched >= self.options.max_trials:
            return "trial budget reached"
        rounds = self.options.early_stopping_rounds
        if rounds is not None and self.since_improvement >= rounds:
            return f"no improvement in {rounds} trials"
        return "search space exhausted"

    # -- bookkeeping --------------------------------------------------------------------
    def finish(self, outcome: TrialOutcome, wall: float) -> None:
        """Record a trial that ended: tell the study, keep it, commit it, then announce it."""
        task = outcome.task
        score, std = outcome.score, outcome.score_std
        status = outcome.status
        if status is TrialStatus.OK and score is None:
            status = TrialStatus.FAILED
        record = TrialRecord(
            number=task.number,
            family=task.family,
            params=dict(task.params),
            status=status,
            score=score,
            score_std=std,
            fit_time=outcome.fit_time,
            predict_time=outcome.predict_time,
            preprocessing={"flavor": self.space.specs[task.family].flavor}
            if task.family in self.space.specs
            else {},
            reason=outcome.reason,
            source=task.source,
            host=outcome.host,
            node_id=outcome.node_id,
        )
        signed = None
        if status is TrialStatus.OK and score is not None:
            signed = score if self.metric.greater_is_better else -score
        self.tell(task, signed, status)
        evicted: list[int] = []
        if signed is not None and outcome.oof is not None:
            evicted = self.keep(outcome, signed)
        if self.checkpoint is not None and not outcome.details.get("interrupted"):
            kept = task.number in self.kept
            self.checkpoint.commit(outcome, record, signed, wall, kept=kept, evicted=evicted)
        finished = outcome.oof is not None or bool(outcome.details.get("not_kept"))
        improved = self.account(record, signed, wall, outcome.fold_scores, finished)
        self.callbacks.emit("on_trial_end", record)
        if improved:
            self.callbacks.emit("on_best", record)

    def account(
        self,
        record: TrialRecord,
        signed: float | None,
        wall: float,
        fold_scores: list[float],
        has_oof: bool,
    ) -> bool:
        """Add a finished trial to the records, durations, best and pruning curves.

        Returns whether it improved on the best so far.
        """
        self.records.append(record)
        if signed is not None:
            self.durations.setdefault(record.family, []).append(wall)
            if has_oof and np.isfinite(fold_scores).all():
                signed_folds = [self.metric.signed(s) for s in fold_scores]
                self.fold_curves.append(running_means(signed_folds))
        if signed is not None and signed > self.best_signed + 1e-12:
            self.best_signed, self.best = signed, record
            self.since_improvement = 0
            return True
        self.since_improvement += 1
        return False

    def tell(self, task: TrialTask, signed: float | None, status: TrialStatus) -> None:
        trial = self.asked.pop(task.number, None)
        if trial is not None:
            if signed is not None:
                self.study.tell(trial, signed)
            elif status is TrialStatus.PRUNED:
                self.study.tell(trial, state=optuna.trial.TrialState.PRUNED)
            else:
                self.study.tell(trial, state=optuna.trial.TrialState.FAIL)
        elif signed is not None:
            self.study.add_trial(self.space.as_frozen_trial(task.family, task.params, signed))

    def keep(self, outcome: TrialOutcome, signed: float) -> list[int]:
        """Keep ``outcome`` among the best ``keep_top`` trials whose fold models weigh at
        most ``keep_mb`` in all; returns the numbers evicted (worst first)."""
        outcome.details["signed_score"] = signed
        self.kept[outcome.task.number] = outcome
        evicted = []
        while len(self.kept) > 1 and (
            len(self.kept) > self.options.keep_top
            or self.kept_mb() > (self.options.keep_mb or inf)
        ):
            worst = min(self.kept, key=lambda n: self.kept[n].details["signed_score"])
            del self.kept[worst]
            evicted.append(worst)
        return evicted

    def kept_mb(self) -> float:
        """Megabytes of the kept trials' fold models (as each trial measured them)."""
        return sum(float(o.details.get("model_bytes", 0)) for o in self.kept.values()) / 2**20

    def keep_above(self) -> float | None:
        """The signed score a trial must beat to be kept: the worst kept one's when the
        kept trials are full (None: any finished trial is kept)."""
        if len(self.kept) < self.options.keep_top:
            return None
        return min(o.details["signed_score"] for o in self.kept.values())

    # -- main loop ----------------------------------------------------------------------
    def preload(self) -> None:
        """Import in the parent what every trial would otherwise import in its own forked
        child (each child pays it anew, inside its deadline): every family's library
        (building, not fitting, an estimator; no thread pool starts by importing) and what
        fitting the preprocessing imports on first use (e.g. scikit-learn's dataframe
        layer), by fitting each flavour's preprocessor on a few rows."""
        for spec in self.specs:
            spec.make(spec.default_params(self.ctx), self.ctx)
        rows = min(PRELOAD_ROWS, self.data.n_rows)
        X, y = self.data.X.iloc[:rows], self.data.y[:rows]
        for flavor in sorted({spec.flavor for spec in self.specs}):
            try:
                build_preprocessor(
                    self.problem.settings, task=self.problem.task, flavor=flavor
                ).fit_transform(X, y)
            except Exception:  # only a warm-up: the trials report real errors themselves
                continue

    def run(self) -> SearchResult:
        self.preload()
        pool = TrialPool(
            self.executor,
            self.data,
            self.problem,
            memory_limit_mb=self.options.memory_limit_mb,
            gpus=self.options.gpus_per_trial,
        )
        started: dict[int, float] = {}
        exhausted = False
        try:
            while True:
                while not exhausted and pool.has_free_slot and self.may_launch(pool):
                    task = self.next_task()
                    if task is None:
                        exhausted = True
                        break
                    task = dataclasses.replace(task, keep_above=self.keep_above())
                    own = self.options.trial_timeout or float("inf")
                    timeout = min(own, self.remaining())
                    if self.checkpoint is not None:
                        self.checkpoint.save_running(task, self.attempts.get(task.number, 1))
                    pool.submit(task, timeout, budget_end=timeout < own)
                    started[task.number] = time.monotonic()
                    self.launched += 1
                    self.callbacks.emit(
                        "on_trial_start",
                        {
                            "number": task.number,
                            "family": task.family,
                            "params": task.params,
                            "source": task.source,
                            "timeout": timeout,
                        },
                    )
                    if self.options.deterministic and not pool.has_free_slot:
                        break
                if pool.n_running == 0:
                    break
                if self.stop_event.is_set():
                    ended = interrupted(pool.kill_all("stopped by request"))
                else:
                    ended = pool.wait(timeout=1.0)
                if self.options.deterministic:
                    while pool.n_running:
                        ended += pool.wait(timeout=1.0)
                    ended.sort(key=lambda o: o.task.number)
                for outcome in ended:
                    self.finish(outcome, time.monotonic() - started.pop(outcome.task.number))
                if ended and self.reserved() > 0:
                    pool.cap_deadlines(self.end() or float("inf"), REFIT_REASON)
        finally:  # only an exception (e.g. from a callback) leaves trials running here
            for outcome in interrupted(pool.kill_all("the search was interrupted")):
                self.finish(outcome, time.monotonic() - started.pop(outcome.task.number, 0.0))
            if self.checkpoint is not None:
                self.checkpoint.save_elapsed()
        best = self.best.number if self.best is not None else None
        reason = self.stop_reason()
        if exhausted and reason == "search space exhausted" and self.remaining() < float("inf"):
            reason = "time budget reached (no trial fits in the time left)"
        before = self.checkpoint.elapsed_before if self.checkpoint is not None else 0.0
        return SearchResult(
            self.records, self.kept, best, reason, self.study, self.n_restored, before
        )


def interrupted(outcomes: list[TrialOutcome]) -> list[TrialOutcome]:
    """Mark trials killed by a stop: a checkpoint does not commit them (they are rerun)."""
    for outcome in outcomes:
        outcome.details["interrupted"] = True
    return outcomes


def run_search(
    data: TrialData,
    problem: SearchProblem,
    options: SearchOptions,
    *,
    callbacks: tuple[Any, ...] | list[Any] = (),
    stop_event: threading.Event | None = None,
    checkpoint_dir: str | Path | None = None,
    started: float | None = None,
    executor: TrialExecutor | None = None,
) -> SearchResult:
    """Search ``options.families`` on ``data`` until a budget ends.

    Opening: each family's default, then portfolio configurations (skipping those not
    expected to finish in time); then the sampler proposes family + hyperparameters.
    Every trial runs on ``executor`` with a hard deadline: by default a
    ``LocalProcessExecutor`` of ``options.n_workers`` processes (shut down at the end); a
    given executor is left running, ready for another search.

    With ``checkpoint_dir`` the search persists its state as it goes and, given a folder
    of an interrupted search of the same data and settings, resumes it (see
    ``_checkpoint``). ``started`` is the ``time.monotonic()`` instant the caller's budget
    began (default: now); the time used before it, in earlier attempts, is taken off
    ``options.deadline``.
    """
    verbosity = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    checkpoint = None
    if checkpoint_dir is not None:
        checkpoint = SearchCheckpoint(checkpoint_dir, started=started)
    try:
        own = executor is None
        executor = executor or LocalProcessExecutor(options.n_workers)
        try:
            search = _Search(
                data, problem, options, CallbackList(callbacks), stop_event, checkpoint, executor
            )
            return search.run()
        finally:
            if own:
                executor.shutdown()
    finally:
        if checkpoint is not None:
            checkpoint.close()
        optuna.logging.set_verbosity(verbosity)
