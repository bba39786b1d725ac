"""The search loop: opening plan, then Optuna ask/tell, under hard time and trial budgets."""

import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import optuna

from tunelab.entities import TrialRecord, TrialStatus
from tunelab.evaluation import get_metric
from tunelab.models import ModelContext, get_model_spec
from tunelab.search._callbacks import CallbackList
from tunelab.search._plan import PlannedTrial, plan_opening
from tunelab.search._pool import TrialPool
from tunelab.search._problem import SearchProblem, TrialData
from tunelab.search._samplers import make_sampler
from tunelab.search._space import SearchSpace
from tunelab.search._trial import TrialOutcome, TrialTask, running_means

MIN_TRIALS_FOR_PRUNING = 5


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
    memory_limit_mb: float | None = None
    deterministic: bool = False
    use_opening: bool = True
    prune: bool = True


@dataclass
class SearchResult:
    """Every trial's record, plus predictions and fold models of the best ``keep_top``."""

    records: list[TrialRecord]
    kept: dict[int, TrialOutcome]
    best_number: int | None
    stop_reason: str
    study: optuna.Study = field(repr=False)


class _Search:
    def __init__(
        self,
        data: TrialData,
        problem: SearchProblem,
        options: SearchOptions,
        callbacks: CallbackList,
        stop_event: threading.Event | None,
    ) -> None:
        self.data = data
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
        self.study = optuna.create_study(
            direction="maximize", sampler=make_sampler(options.sampler, problem.seed)
        )
        self.plan: deque[PlannedTrial] = deque(
            plan_opening(self.specs, self.ctx) if options.use_opening else []
        )
        self.records: list[TrialRecord] = []
        self.kept: dict[int, TrialOutcome] = {}
        self.asked: dict[int, optuna.trial.Trial] = {}
        self.durations: dict[str, list[float]] = {}
        self.best: TrialRecord | None = None
        self.best_signed = -np.inf
        self.since_improvement = 0
        self.launched = 0
        self.fold_curves: list[list[float]] = []

    # -- scheduling ---------------------------------------------------------------------
    def remaining(self) -> float:
        if self.options.deadline is None:
            return float("inf")
        return self.options.deadline - time.monotonic()

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

    def next_task(self) -> TrialTask | None:
        while self.plan:
            family, params, source = self.plan.popleft()
            expected = self.estimate(family)
            if expected is not None and expected > self.remaining():
                continue  # would not finish in time: skip to something cheaper
            return TrialTask(self.launched, family, params, source)
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
                self.asked[self.launched] = trial
                return TrialTask(
                    self.launched,
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
        )
        self.records.append(record)
        signed = None
        if status is TrialStatus.OK and score is not None:
            signed = score if self.metric.greater_is_better else -score
            self.durations.setdefault(task.family, []).append(wall)
        self.tell(task, signed, status)
        self.callbacks.emit("on_trial_end", record)
        if signed is not None and signed > self.best_signed + 1e-12:
            self.best_signed, self.best = signed, record
            self.since_improvement = 0
            self.callbacks.emit("on_best", record)
        else:
            self.since_improvement += 1
        if signed is not None and outcome.oof is not None:
            self.keep(outcome, signed)
            if np.isfinite(outcome.fold_scores).all():
                self.fold_curves.append(
                    running_means([self.metric.signed(s) for s in outcome.fold_scores])
                )

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

    def keep(self, outcome: TrialOutcome, signed: float) -> None:
        outcome.details["signed_score"] = signed
        self.kept[outcome.task.number] = outcome
        if len(self.kept) > self.options.keep_top:
            worst = min(self.kept, key=lambda n: self.kept[n].details["signed_score"])
            del self.kept[worst]

    # -- main loop ----------------------------------------------------------------------
    def preload(self) -> None:
        """Import every family's library in the parent (building, not fitting, an estimator),
        so forked trials do not each pay the import; no thread pool starts by importing."""
        for spec in self.specs:
            spec.make(spec.default_params(self.ctx), self.ctx)

    def run(self) -> SearchResult:
        self.preload()
        pool = TrialPool(
            self.options.n_workers,
            self.data,
            self.problem,
            memory_limit_mb=self.options.memory_limit_mb,
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
                    timeout = min(self.options.trial_timeout or float("inf"), self.remaining())
                    pool.submit(task, timeout)
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
                    ended = pool.kill_all("stopped by request")
                else:
                    ended = pool.wait(timeout=1.0)
                if self.options.deterministic:
                    while pool.n_running:
                        ended += pool.wait(timeout=1.0)
                    ended.sort(key=lambda o: o.task.number)
                for outcome in ended:
                    self.finish(outcome, time.monotonic() - started.pop(outcome.task.number))
        finally:
            for outcome in pool.kill_all("killed at the end of the time budget"):
                self.finish(outcome, time.monotonic() - started.pop(outcome.task.number, 0.0))
        best = self.best.number if self.best is not None else None
        reason = self.stop_reason()
        if exhausted and reason == "search space exhausted" and self.remaining() < float("inf"):
            reason = "time budget reached (no trial fits in the time left)"
        return SearchResult(self.records, self.kept, best, reason, self.study)


def run_search(
    data: TrialData,
    problem: SearchProblem,
    options: SearchOptions,
    *,
    callbacks: tuple[Any, ...] | list[Any] = (),
    stop_event: threading.Event | None = None,
) -> SearchResult:
    """Search ``options.families`` on ``data`` until a budget ends.

    Opening: each family's default, then portfolio configurations (skipping those not
    expected to finish in time); then the sampler proposes family + hyperparameters.
    Every trial runs in its own process with a hard deadline.
    """
    verbosity = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        return _Search(data, problem, options, CallbackList(callbacks), stop_event).run()
    finally:
        optuna.logging.set_verbosity(verbosity)
