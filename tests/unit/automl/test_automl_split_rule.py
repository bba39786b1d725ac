"""The default validation rule: CV while the budget can pay for k fits per trial, else holdout."""

import numpy as np
import pandas as pd
import pytest

from tunelab import AutoML
from tunelab.automl._prepare import PlannedSplits, plan_splits
from tunelab.automl._split_rule import auto_split
from tunelab.entities import SamplingConfig, SplitConfig, SplitKind, TaskType


@pytest.mark.parametrize(
    ("rows", "columns", "budget", "kind", "folds"),
    [
        (800, 20, 10, SplitKind.CV, 5),  # 16,000 cells < 25,000 that 10 s affords
        (3_000, 10, 10, SplitKind.HOLDOUT, None),  # 30,000 cells >= 25,000
        (3_000, 10, 30, SplitKind.CV, 5),  # ... < 75,000 that 30 s affords
        (36_000, 8, 3_600, SplitKind.CV, 3),  # CV above 20,000 rows keeps 3 folds
        (100_000, 1, 36_000, SplitKind.HOLDOUT, None),  # CV stops at 100,000 rows
        (600_000, 5, None, SplitKind.HOLDOUT, None),  # no budget: the size rule alone
        (400_000, 500, None, SplitKind.CV, 3),
        (10_000, 50, None, SplitKind.CV, 5),
    ],
)
def test_rule_from_rows_columns_and_budget(
    rows: int, columns: int, budget: float | None, kind: SplitKind, folds: int | None
) -> None:
    chosen = auto_split(rows, columns, budget, test_ratio=0.2)
    assert chosen.config.kind is kind
    if folds is None:
        assert chosen.config.ratios == pytest.approx((0.7, 0.1, 0.2))
    else:
        assert chosen.config.folds == folds
        assert chosen.config.test_ratio == 0.2
    assert chosen.reason.startswith("holdout" if folds is None else f"{folds}-fold CV")


def test_more_budget_never_turns_cv_into_holdout() -> None:
    kinds = [auto_split(5_000, 40, b, 0.0).config.kind for b in (1, 10, 60, 300, 3600)]
    first_cv = kinds.index(SplitKind.CV)
    assert all(k is SplitKind.HOLDOUT for k in kinds[:first_cv])
    assert all(k is SplitKind.CV for k in kinds[first_cv:])


def _plan(
    split: SplitConfig | None, sampling: SamplingConfig | None = None, n_columns: int = 100
) -> PlannedSplits:
    """1,000 rows; at a 1 s budget the rule affords 2,500 cells."""
    y = np.tile([0, 1], 500)
    frame = pd.DataFrame({"x": np.arange(len(y))})
    return plan_splits(
        y,
        frame,
        split,
        task=TaskType.BINARY,
        n_classes=2,
        sampling=sampling,
        seed=0,
        test_ratio=0.0,
        n_columns=n_columns,
        time_budget=1.0,
    )


def test_an_explicit_split_is_kept_whatever_the_rule_says() -> None:
    planned = _plan(SplitConfig(folds=4, test_ratio=0.0))
    assert planned.auto is None
    assert len(planned.folds) == 4


def test_the_default_says_what_it_chose_and_why() -> None:
    planned = _plan(None)
    assert planned.auto is not None
    assert planned.auto.config.kind is SplitKind.HOLDOUT
    assert len(planned.folds) == 1
    assert "100,000 cells" in planned.auto.reason
    # the rule counts the rows left after sampling: 20 x 10 = 200 cells
    few = _plan(None, sampling=SamplingConfig(size=20), n_columns=10)
    assert few.auto is not None
    assert few.auto.config.kind is SplitKind.CV
    assert len(few.folds) == 5
    assert len(few.fit_rows) == 20


def test_no_refit_time_is_kept_for_a_holdout() -> None:
    from tunelab.automl._facade import _refit_top

    run = AutoML(refit_best=True, refit_final=True).to_settings()
    assert _refit_top(run, n_folds=5) == 2
    assert _refit_top(run, n_folds=1) == 0
