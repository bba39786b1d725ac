"""How a time budget is split between the search and the phases after it.

The search must end early enough for what follows it inside the same budget: building
the ensemble, refitting the best trials on all rows, and, when the caller saves the run
within the budget (``tunelab automl``), writing the bundle and the report. Those costs
are predicted from what the search has measured so far (the kept trials' fit and predict
times, the size of their out-of-fold predictions), best trials first, and re-predicted
after every trial: the search stops submitting, and caps running trials, at the budget's
end less :meth:`PhasePlanner.reserve`.

Every constant below is a cost per unit of work (seconds per row, per model, per score),
not a share tuned to a dataset; the ``timings`` a run records show how each phase went.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from tunelab.automl._refit import refit_reserve
from tunelab.search import SearchResult, TrialData, TrialOutcome

# Always kept free: process exit, scheduler jitter on a shared machine, the last trial's
# kill and join (seconds, plus a share of the budget).
MARGIN_SECONDS = 1.0
MARGIN_SHARE = 0.01
# Greedy ensemble selection scores at most this many blends per kept trial (its
# ``n_iterations``), each one metric call on the out-of-fold rows.
GREEDY_ROUNDS = 40
# A metric call on out-of-fold predictions: fixed overhead + per value scored (seconds).
SCORE_CALL_SECONDS = 2e-4
SCORE_VALUE_SECONDS = 5e-8
# Members of the final model assumed when predicting with it (the ensemble is pruned to
# few members; each is a bag of its fold models unless refitted).
LIKELY_MEMBERS = 3
# Rows one fold model of a likely member predicts in this process to measure its speed
# where the save will run (a trial's own predict time, in a freshly forked child on
# ~1/k of the rows, overstates it several times: fixed costs per call and cold caches).
PROBE_ROWS = 2_000
# Rows the saved run's report predicts: in-sample part (at most), and the test part. The
# bundle's prediction statistics and held-back rows reuse these predictions.
REPORT_TRAIN_ROWS = 20_000
# Writing the bundle: fixed cost (manifest, held-back rows, leaderboard and report files)
# + per fitted model of the final model (skops dump and its type audit).
SAVE_BASE_SECONDS = 0.2
SAVE_MODEL_SECONDS = 0.02
# ... + per MB of the members' fitted models (``model_bytes``, measured in the trial).
# Measured 2026-12-08 (2 cores, load 1-3): dump + type audit of fold bags of 0.01-61 MB
# took about 0.01-0.02 s per fold model and 0.005-0.008 s per MB.
SAVE_MB_SECONDS = 0.01
# Metrics with bootstrap intervals of the final model's parts (valid, test), per part,
# when the run did not measure it (``PhasePlanner.evaluate_seconds``).
EVALUATE_PART_SECONDS = 0.3
# Bootstrap intervals are reserved only while scoring with them costs at most this share
# of the budget; above it the search keeps the time, and the save adds the intervals only
# if time is left (a 10 s run on 30k rows would otherwise give a fifth of its budget to
# intervals rather than to finding the model).
INTERVALS_SHARE = 0.1


@dataclass(frozen=True)
class PhaseCosts:
    """Predicted seconds of each phase after the search."""

    refit: float = 0.0
    ensemble: float = 0.0
    save: float = 0.0
    margin: float = 0.0

    @property
    def total(self) -> float:
        return self.refit + self.ensemble + self.save + self.margin

    def as_dict(self) -> dict[str, float]:
        """Rounded seconds per phase and their total, for the run's ``timings``."""
        values = {
            "refit": self.refit,
            "ensemble": self.ensemble,
            "save": self.save,
            "margin": self.margin,
            "total": self.total,
        }
        return {k: round(v, 3) for k, v in values.items()}


def ranked_kept(result: SearchResult) -> list[TrialOutcome]:
    """The search's kept trials, best first (as the search ranks them for its reserve)."""
    return sorted(result.kept.values(), key=lambda o: -o.details["signed_score"])


def per_row_seconds(outcome: TrialOutcome, data: TrialData) -> float:
    """Seconds one of the trial's fold models takes to predict one row (measured: the
    trial predicted every out-of-fold row once)."""
    rows = sum(len(valid) for _, valid in data.folds) or data.n_rows
    return outcome.predict_time / max(rows, 1)


@dataclass
class PhasePlanner:
    """Predicts the cost of the phases after the search from the trials kept so far.

    Args:
        data: the search's rows and folds.
        n_jobs: threads a refit may use.
        budget: the time budget (seconds); the margin and the refit cap scale with it.
        refit_top: how many of the best trials are likely refitted on all rows (0: none).
        refit_cap: most seconds kept for refits, so slow trials cannot eat the search.
        ensemble: whether an ensemble is built from the kept trials.
        n_classes: classes of the task (0 for regression): width of a prediction.
        save: whether the run is saved within the budget (the CLI): the bundle and the
            report's essential parts are then reserved too.
        n_test_rows: rows of the untouched test part the report scores.
        evaluate_seconds: measured seconds of one part's metrics with intervals on the
            out-of-fold rows (``prepare_save``); None: ``EVALUATE_PART_SECONDS`` per part.
        probe: measure the likely members' predict speed in this process (see
            :meth:`row_seconds`) instead of using the trials' own timing.
        score_call_seconds: measured seconds of one metric call on the out-of-fold rows
            (``prepare_save``); None: ``SCORE_CALL_SECONDS`` + ``SCORE_VALUE_SECONDS`` per
            value scored.
        evaluate_plain_seconds: measured seconds of the same metrics without intervals:
            reserved instead when intervals cost more than ``INTERVALS_SHARE`` of the
            budget (see :attr:`reserves_intervals`).
    """

    data: TrialData
    n_jobs: int
    budget: float
    refit_top: int = 1
    refit_cap: float = float("inf")
    ensemble: bool = True
    n_classes: int = 0
    save: bool = False
    n_test_rows: int = 0
    evaluate_seconds: float | None = None
    probe: bool = False
    score_call_seconds: float | None = None
    evaluate_plain_seconds: float | None = None
    _probed: dict[int, float] = field(default_factory=dict, init=False, repr=False)

    def costs(self, ranked: list[TrialOutcome]) -> PhaseCosts:
        """Predicted costs given the kept trials ``ranked`` best first."""
        margin = MARGIN_SECONDS + MARGIN_SHARE * self.budget
        if not ranked:
            return PhaseCosts(margin=margin)
        return PhaseCosts(
            refit=self.refit_seconds(ranked),
            ensemble=self.ensemble_seconds(ranked),
            save=self.save_seconds(ranked) if self.save else 0.0,
            margin=margin,
        )

    def reserve(self, ranked: list[TrialOutcome]) -> float:
        """For ``SearchOptions.reserve``: seconds to keep free before the budget's end."""
        return self.costs(ranked).total

    def refit_seconds(self, ranked: list[TrialOutcome]) -> float:
        """``SAFETY`` x the expected refits of the ``refit_top`` best, at most the cap."""
        if self.refit_top < 1:
            return 0.0
        return refit_reserve(self.data, self.n_jobs, cap=self.refit_cap, top=self.refit_top)(
            ranked
        )

    def ensemble_seconds(self, ranked: list[TrialOutcome]) -> float:
        """Greedy selection over the kept trials' out-of-fold predictions."""
        if not self.ensemble or len(ranked) < 2:
            return 0.0
        per_score = self.score_call_seconds
        if per_score is None:
            values = len(self.data.valid_rows) * max(1, self.n_classes)
            per_score = SCORE_CALL_SECONDS + SCORE_VALUE_SECONDS * values
        return GREEDY_ROUNDS * len(ranked) * per_score

    def save_seconds(self, ranked: list[TrialOutcome]) -> float:
        """The bundle and the report's essential parts: the final model (its likely members,
        each a bag of fold models) predicts the in-sample and test rows, its parts are
        scored, and its fitted models are written."""
        members = ranked[:LIKELY_MEMBERS]
        n_models = sum(max(1, len(o.models or [])) for o in members)
        row_cost = sum(self.row_seconds(o) * max(1, len(o.models or [])) for o in members)
        rows = min(self.data.n_rows, REPORT_TRAIN_ROWS) + self.n_test_rows
        megabytes = sum(float(o.details.get("model_bytes", 0)) for o in members) / 2**20
        return float(
            SAVE_BASE_SECONDS
            + SAVE_MODEL_SECONDS * n_models
            + SAVE_MB_SECONDS * megabytes
            + row_cost * rows
            + self.scoring_seconds()
        )

    def row_seconds(self, outcome: TrialOutcome) -> float:
        """Seconds one of the trial's fold models takes per predicted row: measured here
        (``probe``: once per trial, on up to ``PROBE_ROWS`` rows) or in the trial."""
        if not self.probe or not outcome.models:
            return per_row_seconds(outcome, self.data)
        number = outcome.task.number
        if number not in self._probed:
            try:
                seconds = probe_row_seconds(outcome.models[0], self.data.X, self.n_classes)
            except Exception:  # a model that cannot predict here: the trial's own timing
                seconds = per_row_seconds(outcome, self.data)
            self._probed[number] = seconds
        return self._probed[number]

    @property
    def reserves_intervals(self) -> bool:
        """Whether the scoring reserved includes bootstrap intervals: always, unless their
        measured cost is above ``INTERVALS_SHARE`` of the budget."""
        if self.evaluate_seconds is None or self.evaluate_plain_seconds is None:
            return True
        return self._parts_seconds(self.evaluate_seconds) <= INTERVALS_SHARE * self.budget

    def scoring_seconds(self) -> float:
        """Metrics of the valid part and of the test part, with intervals (see
        :attr:`reserves_intervals`): measured on the valid rows when the run measured it
        (the test part scaled by its rows)."""
        if self.evaluate_seconds is None:
            return EVALUATE_PART_SECONDS * (2 if self.n_test_rows else 1)
        if self.reserves_intervals or self.evaluate_plain_seconds is None:
            return self._parts_seconds(self.evaluate_seconds)
        return self._parts_seconds(self.evaluate_plain_seconds)

    def _parts_seconds(self, per_valid_part: float) -> float:
        valid = max(1, len(self.data.valid_rows))
        return per_valid_part * (1 + self.n_test_rows / valid)


def probe_row_seconds(model: Any, X: Any, n_classes: int) -> float:
    """Seconds per row ``model`` takes to predict the first ``PROBE_ROWS`` rows of ``X``
    in this process (probabilities for classification, as the save predicts)."""
    rows = X.iloc[:PROBE_ROWS]
    started = time.monotonic()
    if n_classes:
        model.predict_proba(rows)
    else:
        model.predict(rows)
    return (time.monotonic() - started) / max(1, len(rows))
