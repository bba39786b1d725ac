"""The default validation scheme: k-fold CV when the budget can pay for it, else a holdout.

The rule is FLAML's published one (``AutoML._decide_eval_method``, flaml 2.x), decided before
any fit from the table's size and the time budget: cross-validation only while
``rows * columns / 0.9 < 10,000,000 * budget_seconds / 3600`` (FLAML's ``SMALL_LARGE_THRES``
cells per hour) and ``rows < 100,000`` (``CV_HOLDOUT_THRESHOLD``); otherwise a holdout with
10% of the rows for validation (FLAML's ``SPLIT_RATIO``). Under the rule k fits per trial would
leave too few trials; a holdout fits once per trial. Without a time budget the size rule
alone applies (CV up to 500,000 rows). The fold count for CV is unchanged: 5 folds, 3 above
20,000 rows.
"""

from dataclasses import dataclass

from tunelab.entities import SplitConfig, SplitKind

CELLS_PER_HOUR = 10_000_000  # FLAML's SMALL_LARGE_THRES
CV_MAX_ROWS = 100_000  # FLAML's CV_HOLDOUT_THRESHOLD
NO_BUDGET_CV_MAX_ROWS = 500_000
HOLDOUT_VALID = 0.1  # FLAML's SPLIT_RATIO
FEW_FOLDS_ROWS = 20_000


@dataclass(frozen=True)
class AutoSplit:
    """The chosen default split and why (shown in the report, leaderboard and timings)."""

    config: SplitConfig
    reason: str

    def as_dict(self) -> dict[str, str | int | float]:
        """Kind, folds and reason, for ``timings.json``."""
        out: dict[str, str | int | float] = {"kind": self.config.kind.value, "rule": "auto"}
        if self.config.kind is SplitKind.CV:
            out["folds"] = self.config.folds
        else:
            out["valid_ratio"] = self.config.ratios[1]
        out["reason"] = self.reason
        return out


def _cv(n_rows: int, test_ratio: float, reason: str) -> AutoSplit:
    folds = 3 if n_rows > FEW_FOLDS_ROWS else 5
    config = SplitConfig(kind=SplitKind.CV, folds=folds, test_ratio=test_ratio)
    return AutoSplit(config, f"{folds}-fold CV: {reason}")


def _holdout(test_ratio: float, reason: str) -> AutoSplit:
    valid = HOLDOUT_VALID
    config = SplitConfig(
        kind=SplitKind.HOLDOUT, ratios=(1.0 - valid - test_ratio, valid, test_ratio)
    )
    return AutoSplit(config, f"holdout ({valid:.0%} validation): {reason}")


def auto_split(
    n_rows: int, n_columns: int, time_budget: float | None, test_ratio: float
) -> AutoSplit:
    """Default validation for ``n_rows`` training rows (test part excluded) of ``n_columns``
    features under ``time_budget`` seconds (None: no time limit). Pure; see the module doc."""
    if time_budget is None:
        if n_rows > NO_BUDGET_CV_MAX_ROWS:
            return _holdout(test_ratio, f"no time budget and {n_rows:,} rows > 500,000")
        return _cv(n_rows, test_ratio, f"no time budget and {n_rows:,} rows <= 500,000")
    cells = n_rows * max(n_columns, 1)
    allowed = 0.9 * CELLS_PER_HOUR * time_budget / 3600
    size = f"{n_rows:,} rows x {n_columns} columns = {cells:,} cells"
    affords = f"{allowed:,.0f} that a {time_budget:g} s budget affords"
    if n_rows >= CV_MAX_ROWS:
        return _holdout(test_ratio, f"{n_rows:,} rows >= {CV_MAX_ROWS:,}")
    if cells >= allowed:
        return _holdout(test_ratio, f"{size} >= {affords}")
    return _cv(n_rows, test_ratio, f"{size} < {affords}")
