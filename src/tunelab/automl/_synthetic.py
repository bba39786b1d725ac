"""The honest report of the synthetic rows a run trained on (``AutoML.synthetic_``).

When ``sampling.size`` exceeds the training rows, every training part (each CV fold, and
the refit on all training rows) gets synthetic rows drawn by a synthesizer fitted on that
part's real rows only (``tunelab.search.resample_training_rows``); the test part never
reaches it. This report describes the rows of the refit's synthesizer: per-column distance
to the real training rows, a real-vs-synthetic discriminator's cross-validated AUC, and the
best configuration's score on the untouched test part when fitted with and without them.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import numpy as np
import pandas as pd

from tunelab.automl._refit import (
    SAFETY,
    Refit,
    expected_refit_seconds,
    refit_params,
    refit_seed,
)
from tunelab.evaluation import get_metric
from tunelab.search import (
    SearchProblem,
    SearchResult,
    TrialData,
    fit_fold_model,
    predict_fold,
    resample_training_rows,
    score_prediction,
    synthetic_count,
    synthetic_part,
)
from tunelab.synthetic import column_distances, discriminator_auc, load_synthesizer

BOOTSTRAP = 200  # paired resamples of the test rows for the difference's interval
# the share of the time left before the search's deadline its synthesizers may train for
SYNTHESIS_SHARE = 0.25


def prepare_synthetic(
    data: TrialData, problem: SearchProblem, deadline: float | None = None
) -> dict[str, Any] | None:
    """Draw each training part's synthetic rows once, in this process, before the search
    forks its trials: every training fold's and the refit's (all training rows). Trials,
    the refit and the report find them in ``tunelab.synthetic``'s memo instead of fitting a
    synthesizer each (a GAN takes seconds). The same calls as the trials make.

    With a ``deadline`` (the search's, ``time.monotonic()``), the synthesizers train for at
    most ``SYNTHESIS_SHARE`` of the time left, shared evenly by the parts (then by the
    classes of a part); a GAN cut short says so. Returns what was trained (None when no
    synthetic row is asked for): the ``preparation`` of the report's ``synthetic`` block.
    """
    sampling = problem.sampling
    if sampling is None or synthetic_count(sampling, data.n_rows, data.n_rows) == 0:
        return None
    began = time.monotonic()
    load_synthesizer(sampling.synthesizer)  # imports count in the search's time, not the share
    start = time.monotonic()
    until = None if deadline is None else start + SYNTHESIS_SHARE * max(0.0, deadline - start)
    parts = [
        (f"fold {number + 1}", data.X.iloc[train], data.y[train], problem.seed + number)
        for number, (train, _) in enumerate(data.folds)
    ]
    parts.append(("all training rows", data.X, data.y, refit_seed(problem, data)))
    fits: list[dict[str, Any]] = []
    for index, (name, X, y, seed) in enumerate(parts):
        log: list[dict[str, Any]] = []
        part_deadline = None
        if until is not None:
            at = time.monotonic()
            part_deadline = at + max(0.0, until - at) / (len(parts) - index)
        resample_training_rows(
            X, y, sampling, problem.task, seed=seed, n_rows=data.n_rows,
            deadline=part_deadline, log=log,
        )  # fmt: skip
        fits.extend({"part": name, **entry} for entry in log)
    allowed = None if until is None else until - start
    return preparation_summary(fits, allowed, time.monotonic() - began)


def preparation_summary(
    fits: list[dict[str, Any]], allowed: float | None, seconds: float
) -> dict[str, Any]:
    """The synthesizers' training before the search, and a sentence saying what was cut."""
    cut = [f for f in fits if f.get("cut")]
    if allowed is None:
        note = "no time budget: every synthesizer trained its full number of steps"
    elif not cut:
        note = (
            f"every synthesizer trained its full number of steps within the "
            f"{allowed:.1f} s allowed ({SYNTHESIS_SHARE:.0%} of the search's time)"
        )
    else:
        done = sum(int(f["steps_done"]) for f in cut)
        planned = sum(int(f["steps"]) for f in cut)
        note = (
            f"{len(cut)} of {len(fits)} GAN synthesizers were cut short to fit the "
            f"{allowed:.1f} s allowed ({SYNTHESIS_SHARE:.0%} of the search's time): "
            f"{done} of {planned} training steps done; their rows may be less like the "
            "real ones (see the discriminator AUC)"
        )
    return {
        "seconds": round(seconds, 3),
        "allowed_seconds": None if allowed is None else round(allowed, 3),
        "synthesizers": fits,
        "cut": bool(cut),
        "note": note,
    }


def synthetic_report(
    result: SearchResult,
    data: TrialData,
    problem: SearchProblem,
    *,
    target: str,
    X_test: pd.DataFrame,
    y_test: np.ndarray,
    refit: Refit,
    end: float | None,
    n_jobs: int,
    preparation: dict[str, Any] | None = None,
) -> dict[str, Any] | None:
    """The ``synthetic`` block of the run report; None when no synthetic row was asked for.
    ``preparation`` (``prepare_synthetic``'s) says how the synthesizers trained and what the
    time budget cut."""
    sampling = problem.sampling
    if sampling is None or sampling.size is None or sampling.size <= data.n_rows:
        return None
    report: dict[str, Any] = {
        "synthesizer": sampling.synthesizer,
        "size": sampling.size,
        "rows_real": data.n_rows,
        "rows_synthetic": 0,
    }
    if sampling.synthesizer == "none":
        report["verdict"] = "not used"
        report["note"] = "sampling.size exceeds the training rows, synthesizer 'none': none added"
        return report
    seed = refit_seed(problem, data)
    balanced = resample_training_rows(
        data.X, data.y, dataclasses.replace(sampling, synthesizer="none"), problem.task, seed=seed
    )[1]
    X_syn, y_syn = synthetic_part(data.X, data.y, balanced, sampling, problem.task, seed=seed)
    report["rows_synthetic"] = len(X_syn)
    if preparation is not None:
        report["preparation"] = preparation
    report["fitted_on"] = (
        "training rows only: one synthesizer per training fold and one on all training "
        "rows (per class for classification); the test part never reaches it"
    )
    real = data.X.assign(**{target: data.y})
    fake = X_syn.reset_index(drop=True).assign(**{target: y_syn})
    if problem.task.is_classification:  # labels are categories, not numbers
        real[target] = real[target].astype(str)
        fake[target] = fake[target].astype(str)
    report["columns"] = column_distances(real, fake) if len(X_syn) else []
    auc = discriminator_auc(real, fake, seed=problem.seed) if len(X_syn) else float("nan")
    report["discriminator_auc"] = auc
    report["discriminator"] = (
        "gradient boosting telling real from synthetic rows, 3-fold CV ROC AUC on at most "
        "2000 rows of each (0.5: indistinguishable, 1.0: always told apart)"
    )
    report["test"] = _test_comparison(
        result, data, problem, X_test, y_test, refit=refit, end=end, n_jobs=n_jobs
    )
    report["verdict"] = report["test"].get("verdict", "not measured")
    return report


def _test_comparison(
    result: SearchResult,
    data: TrialData,
    problem: SearchProblem,
    X_test: pd.DataFrame,
    y_test: np.ndarray,
    *,
    refit: Refit,
    end: float | None,
    n_jobs: int,
) -> dict[str, Any]:
    """The best configuration refitted on all training rows with and without synthetic rows,
    scored on the untouched test part (a paired bootstrap interval of the difference)."""
    if len(X_test) == 0:
        return {"verdict": "not measured", "note": "no test part: set test_ratio to compare"}
    number = refit.number if refit.number is not None else result.best_number
    if number is None or number not in result.kept:
        return {"verdict": "not measured", "note": "no successful trial to refit"}
    outcome = result.kept[number]
    family = outcome.task.family
    params = refit_params(family, outcome.task.params, list(outcome.models or []))
    threads = dataclasses.replace(problem, threads_per_trial=max(1, n_jobs))
    needed = 2 if refit.model is None else 1
    if end is not None:
        expected = expected_refit_seconds(outcome, data, n_jobs) * needed
        if time.monotonic() + SAFETY * expected > end:
            return {
                "verdict": "not measured",
                "note": f"skipped: ~{expected:.1f} s needed for the refits, budget nearly spent",
            }
    seed = refit_seed(problem, data)
    sampling = problem.sampling
    assert sampling is not None

    def fit(synthesizer: str) -> Any:
        chosen = dataclasses.replace(sampling, synthesizer=synthesizer)
        X, y = resample_training_rows(
            data.X, data.y, chosen, problem.task, seed=seed, n_rows=data.n_rows
        )
        return fit_fold_model(family, params, threads, X, y, None, None, deadline=end)[0]

    with_model = refit.model if refit.model is not None else fit(sampling.synthesizer)
    without_model = fit("none")
    pred_with = predict_fold(with_model, X_test, problem)
    pred_without = predict_fold(without_model, X_test, problem)
    metric = get_metric(problem.metric, problem.task)

    def score(pred: np.ndarray, rows: np.ndarray | slice = slice(None)) -> float:
        return score_prediction(problem.metric, problem.task, y_test[rows], pred[rows])

    with_score, without_score = score(pred_with), score(pred_without)
    rng = np.random.default_rng(problem.seed)
    gains = []
    for _ in range(BOOTSTRAP):
        rows = rng.integers(0, len(y_test), len(y_test))
        gains.append(
            metric.signed(score(pred_with, rows)) - metric.signed(score(pred_without, rows))
        )
    finite = np.asarray([g for g in gains if np.isfinite(g)])
    low, high = np.quantile(finite, [0.025, 0.975]) if len(finite) else (np.nan, np.nan)
    gain = metric.signed(with_score) - metric.signed(without_score)
    verdict = "gain" if np.isfinite(low) and low > 0 else "no gain"
    note = (
        f"{metric.name} on the test part: {with_score:.4f} with synthetic rows, "
        f"{without_score:.4f} without ({family}, trial {number}). "
        + (
            "The synthetic rows helped (the 95% interval of the gain is above 0)."
            if verdict == "gain"
            else "No gain from the synthetic rows: the 95% interval of the difference "
            "includes 0 or lies below it."
        )
    )
    return {
        "metric": metric.name,
        "trial": number,
        "family": family,
        "rows": len(y_test),
        "with_synthetic": with_score,
        "without_synthetic": without_score,
        "gain": gain,  # in the better direction: > 0 means the synthetic rows helped
        "gain_ci": [float(low), float(high)],
        "verdict": verdict,
        "note": note,
    }
