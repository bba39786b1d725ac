"""Resuming a search: rebuild its state from a checkpoint written by an interrupted run."""

import json
from collections import deque
from typing import Any, Protocol

import optuna
from optuna.trial import TrialState

from tunelab.entities import TrialRecord, TrialStatus
from tunelab.search._callbacks import CallbackList
from tunelab.search._checkpoint import InFlight, SearchCheckpoint
from tunelab.search._checkpoint_io import encode
from tunelab.search._plan import PlannedTrial
from tunelab.search._problem import SearchProblem
from tunelab.search._samplers import make_sampler
from tunelab.search._trial import TrialOutcome

MAX_ATTEMPTS = 2  # a trial interrupted this many times is recorded as failed, not rerun


def config_key(family: str, params: dict[str, Any]) -> str:
    """Identity of a configuration (to skip opening configurations already tried)."""
    return json.dumps([family, encode(params)], sort_keys=True)


class ResumableSearch(Protocol):
    """The state of a search that ``restore_search`` rebuilds (the loop's ``_Search``)."""

    problem: SearchProblem
    callbacks: CallbackList
    study: optuna.Study
    kept: dict[int, TrialOutcome]
    records: list[TrialRecord]
    plan: deque[PlannedTrial]
    reruns: deque[InFlight]
    n_restored: int
    launched: int
    next_number: int

    @property
    def sampler(self) -> str: ...

    def keep(self, outcome: TrialOutcome, signed: float) -> list[int]: ...

    def account(
        self,
        record: TrialRecord,
        signed: float | None,
        wall: float,
        fold_scores: list[float],
        has_oof: bool,
    ) -> bool: ...

    def finish(self, outcome: TrialOutcome, wall: float) -> None: ...


def restore_search(search: ResumableSearch, checkpoint: SearchCheckpoint) -> None:
    """Rebuild the state of an interrupted search from its checkpoint.

    Finished trials come back without rerunning (announced with ``on_trial_restored``,
    never ``on_trial_end``), with their kept predictions and fold models; trials that were
    running are rerun first under their own numbers, or recorded as failed once interrupted
    ``MAX_ATTEMPTS`` times; the study's unfinished trials are marked failed and the sampler
    gets a fresh seed; opening configurations already tried are skipped.
    """
    saved = checkpoint.load_trials()
    finished = {s.record.number for s in saved}
    on_disk = checkpoint.kept_numbers()
    for item in saved:
        number = item.record.number
        outcome = checkpoint.load_kept(item) if number in on_disk else None
        if outcome is not None:
            for evicted in search.keep(outcome, float(outcome.details["signed_score"])):
                checkpoint.drop_kept(evicted)
        search.account(item.record, item.signed, item.wall, item.fold_scores, item.has_oof)
        search.callbacks.emit("on_trial_restored", item.record)
    for orphan in on_disk - set(search.kept):
        checkpoint.drop_kept(orphan)
    search.n_restored = search.launched = len(saved)
    flights = checkpoint.load_in_flight(finished)
    known = finished | {f.task.number for f in flights}
    search.next_number = max(known, default=-1) + 1
    for flight in flights:
        if flight.attempts < MAX_ATTEMPTS:
            search.reruns.append(flight)
            continue
        search.launched += 1
        reason = f"interrupted {flight.attempts} times (the search stopped or died while it ran)"
        search.finish(TrialOutcome(flight.task, TrialStatus.FAILED, reason=reason), 0.0)
    study = search.study
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        study.tell(trial.number, state=TrialState.FAIL)
    if checkpoint.resumed and search.sampler != "qmc":
        # a fresh random stream: replaying the first run's draws would repeat its proposals
        # (QMC instead continues its sequence from the number of trials in the study)
        seed = search.problem.seed + len(study.trials)
        study.sampler = make_sampler(search.sampler, seed)
    tried = {config_key(r.family, r.params) for r in search.records}
    tried |= {config_key(f.task.family, f.task.params) for f in search.reruns}
    search.plan = deque(p for p in search.plan if config_key(p[0], p[1]) not in tried)
