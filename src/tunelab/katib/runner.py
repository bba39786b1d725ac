"""The experiment loop: suggest, run trials in parallel threads, tell, stop like Katib.

Only the main thread touches the Optuna study (ask/tell), so a SQLite ``RDBStorage`` is
safe; each worker thread supervises one trial. ``experiment.json`` is rewritten atomically
whenever a trial starts or ends.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import optuna

from tunelab.katib.earlystop import MedianStop
from tunelab.katib.executor import (
    CANCELLED,
    EARLY_STOPPED,
    TIMEOUT,
    TrialContext,
    TrialExecutor,
    TrialOutcome,
)
from tunelab.katib.hyperband import HyperbandSuggester
from tunelab.katib.metrics import MetricLog, objective_value
from tunelab.katib.persist import ExperimentStore
from tunelab.katib.results import EARLY_STOPPED as EARLY_STOPPED_STATE
from tunelab.katib.results import (
    FAILED,
    FINISHED,
    GOAL_REACHED,
    KILLED,
    MAX_FAILED_REACHED,
    MAX_TRIALS_REACHED,
    METRICS_UNAVAILABLE,
    RUNNING,
    SUCCEEDED,
    SUGGESTION_END_REACHED,
    Condition,
    ExperimentResult,
    TrialResult,
    optimal_trial,
)
from tunelab.katib.space import format_value
from tunelab.katib.spec import ExperimentSpec
from tunelab.katib.suggest import END, WAIT, SamplerSuggester, Suggestion

TIMEOUT_REACHED = "TimeoutReached"  # Python API only: tune(..., timeout=)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass
class _Running:
    suggestion: Suggestion
    record: TrialResult
    ctx: TrialContext
    thread: threading.Thread
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Snapshot:
    """Progress as the loop sees it (passed to the progress callback)."""

    name: str
    running: int
    finished: tuple[TrialResult, ...]
    best_value: float | None
    best_trial: str | None
    max_trials: int | None


class ExperimentRunner:
    """Runs one experiment to its end condition. Use :func:`run_experiment` for files."""

    def __init__(
        self,
        spec: ExperimentSpec,
        *,
        executor: TrialExecutor,
        workdir: Path,
        store: ExperimentStore,
        notes: list[str],
        on_progress: Callable[[Snapshot], None] | None = None,
        deadline: float | None = None,
    ) -> None:
        self.spec = spec
        self.executor = executor
        self.workdir = workdir
        self.store = store
        self.notes = notes
        self.deadline = deadline  # time.monotonic() after which no trial starts
        self.on_progress = on_progress
        self.finished: list[TrialResult] = []
        self.histories: dict[str, list[float]] = {}
        self.running: dict[int, _Running] = {}
        self.done: queue.Queue[tuple[int, TrialOutcome]] = queue.Queue()
        self.cancel = threading.Event()
        self.interrupted: list[TrialResult] = []
        self.medianstop = (
            MedianStop.from_spec(spec.early_stopping, spec.objective.maximize)
            if spec.early_stopping is not None
            else None
        )

    # -- end conditions -------------------------------------------------------------
    def end_condition(self) -> Condition | None:
        spec, trials = self.spec, self.finished
        best = optimal_trial(spec.objective, trials)
        goal = spec.objective.goal
        if goal is not None and best is not None:
            reached = best.value >= goal if spec.objective.maximize else best.value <= goal
            if reached:
                return Condition(
                    SUCCEEDED,
                    GOAL_REACHED,
                    f"Experiment has succeeded because Objective goal has reached "
                    f"({best.best_trial_name}: {best.value:g})",
                )
        failed = sum(t.condition in (FAILED, METRICS_UNAVAILABLE) for t in trials)
        max_failed = spec.max_failed_trial_count
        if max_failed is not None and max_failed > 0 and failed >= max_failed:
            return Condition(
                FAILED,
                MAX_FAILED_REACHED,
                f"Experiment has failed because max failed count has reached "
                f"({failed} >= {max_failed})",
            )
        if self.deadline is not None and time.monotonic() >= self.deadline:
            return Condition(SUCCEEDED, TIMEOUT_REACHED, "the time budget is spent")
        completed = sum(t.condition in FINISHED for t in trials)
        if spec.max_trial_count is not None and completed >= spec.max_trial_count:
            return Condition(
                SUCCEEDED,
                MAX_TRIALS_REACHED,
                "Experiment has succeeded because max trial count has reached",
            )
        return None

    # -- main loop ------------------------------------------------------------------
    def run(self, study: optuna.Study, previous: list[TrialResult]) -> ExperimentResult:
        suggester: SamplerSuggester | HyperbandSuggester = (
            HyperbandSuggester(self.spec)
            if self.spec.algorithm.algorithm_name == "hyperband"
            else SamplerSuggester(self.spec)
        )
        for trial in previous:
            if trial.condition == RUNNING:
                suggester.add_rerun(trial)
            else:
                self.finished.append(trial)
                self.histories[trial.name] = list(trial.objective_values)
        self._refresh_medianstop()
        condition: Condition | None = None
        try:
            while condition is None:
                condition = self.end_condition()
                if condition is not None:
                    break
                state = self._launch(study, suggester)
                if not self.running:
                    condition = Condition(
                        SUCCEEDED,
                        SUGGESTION_END_REACHED,
                        "Experiment has succeeded because the algorithm "
                        f"has no more suggestions ({state})",
                    )
                    break
                self._wait_one(study)
        except BaseException:
            self._shutdown(study, interrupted=True)
            raise
        self._shutdown(study, interrupted=False)
        return self._save(condition)

    def _launch(
        self, study: optuna.Study, suggester: SamplerSuggester | HyperbandSuggester
    ) -> str:
        max_trials = self.spec.max_trial_count
        state = "ok"
        while len(self.running) < self.spec.parallel_trial_count and (
            max_trials is None or len(self.finished) + len(self.running) < max_trials
        ):
            labels = [r.suggestion.labels for r in self.running.values()]
            got = suggester.suggest(study, self.finished, labels)
            if got in (WAIT, END):
                return str(got)
            assert isinstance(got, Suggestion)
            self._start(got)
        return state

    def _start(self, suggestion: Suggestion) -> None:
        number = suggestion.trial.number
        name = f"{self.spec.name}-{number:04d}"
        assignments = {
            p.name: format_value(p, suggestion.values[p.name]) for p in self.spec.parameters
        }
        log = MetricLog()
        objective_name = self.spec.objective.objective_metric_name

        def should_stop() -> bool:
            return self.medianstop is not None and self.medianstop.should_stop(
                log.values(objective_name)
            )

        ctx = TrialContext(
            name=name,
            number=number,
            assignments=assignments,
            values=dict(suggestion.values),
            trial_dir=self.workdir / name,
            metrics=log,
            should_stop=should_stop,
            cancel=self.cancel,
        )
        record = TrialResult(
            name=name,
            number=number,
            assignments=tuple(assignments.items()),
            metrics=(),
            condition=RUNNING,
            start_time=_now(),
            labels=dict(suggestion.labels),
        )
        thread = threading.Thread(target=self._work, args=(ctx,), name=name, daemon=True)
        self.running[number] = _Running(suggestion, record, ctx, thread)
        thread.start()
        self._persist(None)

    def _work(self, ctx: TrialContext) -> None:
        try:
            outcome = self.executor(ctx)
        except Exception as exc:  # an executor bug must not hang the loop
            outcome = TrialOutcome(None, None, f"{type(exc).__name__}: {exc}")
        self.done.put((ctx.number, outcome))

    def _wait_one(self, study: optuna.Study) -> None:
        while True:
            try:
                number, outcome = self.done.get(timeout=0.25)
                break
            except queue.Empty:
                self._progress()
                if self.deadline is not None and time.monotonic() >= self.deadline:
                    return
        self._finish(study, number, outcome)
        while not self.done.empty():
            self._finish(study, *self.done.get())

    def _finish(
        self, study: optuna.Study, number: int, outcome: TrialOutcome, *, interrupted: bool = False
    ) -> None:
        run = self.running.pop(number)
        run.thread.join()
        spec = self.spec
        metrics = run.ctx.metrics.summarize(spec.objective.metric_names)
        value = objective_value(spec.objective, metrics)
        if outcome.stopped == EARLY_STOPPED:
            state, reason = EARLY_STOPPED_STATE, "TrialEarlyStopped"
        elif outcome.stopped == TIMEOUT:
            state, reason = KILLED, "DeadlineExceeded"
        elif outcome.stopped == CANCELLED:
            state, reason = (
                (RUNNING, "Interrupted") if interrupted else (KILLED, "ExperimentEnded")
            )
        elif outcome.exit_code != 0:
            state, reason = FAILED, "TrialFailed"
        elif value is None:
            state, reason = METRICS_UNAVAILABLE, "MetricsUnavailable"
        else:
            state, reason = SUCCEEDED, "TrialSucceeded"
        record = replace(
            run.record,
            metrics=metrics,
            condition=state,
            reason=reason,
            message=outcome.message,
            end_time=_now(),
            exit_code=outcome.exit_code,
            command=outcome.command,
            image=outcome.image,
            objective_values=tuple(run.ctx.metrics.values(spec.objective.objective_metric_name)),
        )
        if state == SUCCEEDED and value is not None:
            study.tell(run.suggestion.trial, value)
        elif state == EARLY_STOPPED_STATE:
            study.tell(run.suggestion.trial, state=optuna.trial.TrialState.PRUNED)
        else:
            study.tell(run.suggestion.trial, state=optuna.trial.TrialState.FAIL)
        if state == RUNNING:
            self.interrupted.append(record)
            return
        self.finished.append(record)
        self.histories[record.name] = list(record.objective_values)
        self._refresh_medianstop()
        self._persist(None)
        self._progress()

    def _refresh_medianstop(self) -> None:
        if self.medianstop is not None:
            self.medianstop.update(
                self.histories.get(t.name, []) for t in self.finished if t.condition == SUCCEEDED
            )

    def _shutdown(self, study: optuna.Study, *, interrupted: bool) -> None:
        self.cancel.set()
        while self.running:
            number, outcome = self.done.get()
            self._finish(study, number, outcome, interrupted=interrupted)
        if interrupted:
            self._persist(Condition(RUNNING, "Interrupted", "interrupted; resume with --resume"))

    # -- reporting ------------------------------------------------------------------
    def _condition_now(self) -> Condition:
        return Condition(RUNNING, "ExperimentRunning", "Experiment is running")

    def _persist(self, condition: Condition | None) -> None:
        running = [r.record for r in self.running.values()]
        running += self.interrupted
        trials = sorted([*self.finished, *running], key=lambda t: t.number)
        self.store.save(
            condition or self._condition_now(),
            trials,
            optimal_trial(self.spec.objective, self.finished),
            self.notes,
        )

    def _save(self, condition: Condition) -> ExperimentResult:
        self._persist(condition)
        self._progress()
        trials = tuple(sorted(self.finished, key=lambda t: t.number))
        return ExperimentResult(
            name=self.spec.name,
            condition=condition,
            trials=trials,
            optimal=optimal_trial(self.spec.objective, trials),
            out_dir=self.store.out_dir or self.workdir,
            notes=tuple(self.notes),
        )

    def _progress(self) -> None:
        if self.on_progress is None:
            return
        best = optimal_trial(self.spec.objective, self.finished)
        self.on_progress(
            Snapshot(
                name=self.spec.name,
                running=len(self.running),
                finished=tuple(self.finished),
                best_value=best.value if best else None,
                best_trial=best.best_trial_name if best else None,
                max_trials=self.spec.max_trial_count,
            )
        )
