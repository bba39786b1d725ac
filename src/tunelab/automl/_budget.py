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

from dataclasses import dataclass

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
# Rows the saved run's report predicts: in-sample part (at most), and the test part.
REPORT_TRAIN_ROWS = 20_000
# Writing the bundle: fixed cost + per fitted model of the final model (skops dump).
SAVE_BASE_SECONDS = 0.5
SAVE_MODEL_SECONDS = 0.05
# ... + per MB of the members' fitted models (``model_bytes``, measured in the trial).
SAVE_MB_SECONDS = 0.1
# Metrics with bootstrap intervals of the final model's parts (valid, test): per part.
EVALUATE_PART_SECONDS = 0.3


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
        values = len(self.data.valid_rows) * max(1, self.n_classes)
        per_score = SCORE_CALL_SECONDS + SCORE_VALUE_SECONDS * values
        return GREEDY_ROUNDS * len(ranked) * per_score

    def save_seconds(self, ranked: list[TrialOutcome]) -> float:
        """The bundle and the report's essential parts: the final model (its likely members,
        each a bag of fold models) predicts the in-sample and test rows, its parts are
        scored, and its fitted models are written."""
        members = ranked[:LIKELY_MEMBERS]
        n_models = sum(max(1, len(o.models or [])) for o in members)
        row_cost = sum(
            per_row_seconds(o, self.data) * max(1, len(o.models or [])) for o in members
        )
        rows = min(self.data.n_rows, REPORT_TRAIN_ROWS) + self.n_test_rows
        parts = 2 if self.n_test_rows else 1
        megabytes = sum(float(o.details.get("model_bytes", 0)) for o in members) / 2**20
        return float(
            SAVE_BASE_SECONDS
            + SAVE_MODEL_SECONDS * n_models
            + SAVE_MB_SECONDS * megabytes
            + row_cost * rows
            + EVALUATE_PART_SECONDS * parts
        )
