"""Writing a finished run: the model bundle, the leaderboard and the report."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tunelab.automl._fitted import FittedRun
from tunelab.automl._leaderboard import model_name
from tunelab.bundles import (
    held_back_frame,
    infer_input_schema,
    reference_statistics,
    save_bundle,
)
from tunelab.data import fingerprint
from tunelab.entities import DataError, TrialStatus
from tunelab.evaluation import (
    ModelDetails,
    RunSummary,
    evaluate_predictions,
    get_metric,
    jsonable,
    permutation_importance,
    split_summary,
    write_report,
)

REPORTED_TRIALS = 10


def _predict(automl: FittedRun, model: Any, X: pd.DataFrame) -> np.ndarray:
    if automl.task_.is_classification:
        return np.asarray(model.predict_proba(X))
    return np.asarray(model.predict(X), dtype=np.float64)


CI_RESAMPLES = 500
CI_CELLS = 10_000_000  # bootstrap draws per metric: fewer resamples for very large parts


def ci_resamples(n_rows: int) -> int:
    """500 resamples up to 20k rows, then fewer (never under 200): intervals of very large
    parts are narrow, and a report must not cost minutes."""
    return int(np.clip(CI_CELLS // max(n_rows, 1), 200, CI_RESAMPLES))


def _evaluate(
    automl: FittedRun, y: np.ndarray, pred: np.ndarray, *, with_ci: bool = True
) -> dict[str, Any]:
    """All metrics of the task; 95% bootstrap intervals unless ``with_ci`` is False."""
    if automl.task_.is_classification:
        return evaluate_predictions(
            automl.task_,
            None,
            y,
            proba=pred,
            classes=list(automl.classes_),
            seed=automl.seed,
            with_ci=with_ci,
            n_resamples=ci_resamples(len(y)),
        )
    return evaluate_predictions(
        automl.task_,
        None,
        y,
        y_pred=pred,
        seed=automl.seed,
        with_ci=with_ci,
        n_resamples=ci_resamples(len(y)),
    )


def _parts(
    automl: FittedRun,
    model: Any,
    oof: np.ndarray | None,
    clock: SaveClock | None = None,
    outputs: dict[str, np.ndarray] | None = None,
    intervals_seconds: float = 0.0,
) -> dict[str, dict[str, Any]]:
    """Metrics (and curves) on train (in-sample), valid (out-of-fold) and test rows.

    Bootstrap intervals are computed only while the clock leaves time for them: at least
    ``intervals_seconds`` (their cost measured before the search, if it was) and the
    bound ``CI_COST_RATIO`` x one evaluation.

    With a ``clock``, the model's measured seconds per predicted row are recorded in its
    timings (``row_seconds``), for sizing the optional work after it. ``outputs``, when
    given, receives the model's outputs on the ``train`` and ``test`` rows (probabilities
    or values), so that the bundle reuses them instead of predicting the rows again.
    """
    X, y = automl._X, automl._y
    fit_rows, test_rows = automl._fit_rows, automl._test_rows
    parts: dict[str, dict[str, Any]] = {}
    train_rows = fit_rows[:20_000]  # in-sample scores need no more rows than this
    started = time.monotonic()
    train_pred = _predict(automl, model, X.iloc[train_rows])
    if outputs is not None:
        outputs["train"] = train_pred
    if clock is not None:
        clock.timings["row_seconds"] = (time.monotonic() - started) / max(1, len(train_rows))
    # In-sample scores only show overfitting: no interval for them.
    started = time.monotonic()
    parts["train"] = _evaluate(automl, y[train_rows], train_pred, with_ci=False)
    # Bootstrap intervals cost hundreds of times one evaluation: only while time is left.
    needed = max(intervals_seconds, CI_COST_RATIO * (time.monotonic() - started))
    with_ci = clock is None or clock.left() > needed
    if oof is not None:
        parts["valid"] = _evaluate(automl, y[fit_rows][automl._valid_rows], oof, with_ci=with_ci)
    if len(test_rows):
        test_pred = _predict(automl, model, X.iloc[test_rows])
        if outputs is not None:
            outputs["test"] = test_pred
        parts["test"] = _evaluate(automl, y[test_rows], test_pred, with_ci=with_ci)
    return parts


# A part's bootstrap intervals cost about this many times one evaluation without them (a
# bound: metrics on resamples are vectorised, so fewer than ``CI_RESAMPLES`` times).
CI_COST_RATIO = 20


IMPORTANCE_REPEATS = 2
IMPORTANCE_ROWS = 1000
MIN_IMPORTANCE_ROWS = 100


class SaveClock:
    """The time left for saving a run (``deadline``: a ``time.monotonic()`` instant, None
    for no limit), and how long each step took (``timings``)."""

    def __init__(self, deadline: float | None) -> None:
        self.deadline = deadline
        self.timings: dict[str, float] = {}
        self._last = time.monotonic()

    def left(self) -> float:
        """Seconds before the deadline (infinite without one)."""
        return float("inf") if self.deadline is None else self.deadline - time.monotonic()

    def lap(self, step: str) -> float:
        """Record the seconds since the last lap under ``step``; returns them."""
        now = time.monotonic()
        seconds = now - self._last
        self.timings[step] = round(self.timings.get(step, 0.0) + seconds, 3)
        self._last = now
        return seconds


def importance_rows(n_rows: int, n_features: int, row_seconds: float, left: float) -> int:
    """Rows for permutation importance so that it ends within ``left`` seconds.

    It predicts ``IMPORTANCE_REPEATS`` shuffled copies per feature (plus the unshuffled
    rows) at ``row_seconds`` per row (measured on the final model); at most
    ``IMPORTANCE_ROWS``, and 0 (skip it) when fewer than ``MIN_IMPORTANCE_ROWS`` fit.
    """
    rows = min(n_rows, IMPORTANCE_ROWS)
    copies = IMPORTANCE_REPEATS * max(1, n_features) + 1
    if row_seconds > 0 and left != float("inf"):
        rows = min(rows, int(max(0.0, left) / (row_seconds * copies)))
    return rows if rows >= min(MIN_IMPORTANCE_ROWS, n_rows) and rows > 0 else 0


def _importance(automl: FittedRun, model: Any, max_rows: int) -> list[tuple[str, float, float]]:
    rows = automl._test_rows if len(automl._test_rows) else automl._fit_rows
    metric = get_metric(automl.metric_, automl.task_)
    return permutation_importance(
        lambda frame: _predict(automl, model, frame),
        automl._X.iloc[rows],
        automl._y[rows],
        metric,
        n_repeats=IMPORTANCE_REPEATS,
        seed=automl.seed,
        max_rows=max_rows,
    )


def _refit_text(refitted: tuple[int, ...], members: list[int]) -> str:
    """Which members of the final model were refitted on all training rows."""
    if not refitted:
        return "Members are the bags of their fold models (no refit on all rows)."
    bagged = [n for n in members if n not in refitted]
    text = "Refitted on all training rows: " + ", ".join(f"trial {n}" for n in refitted) + "."
    if bagged:
        text += " Kept as fold bags (no time left): "
        text += ", ".join(f"trial {n}" for n in bagged) + "."
    return text


def _final_details(
    automl: FittedRun, final_parts: dict[str, dict[str, Any]], clock: SaveClock
) -> ModelDetails:
    """The final model's report entry; its permutation importance only as time allows."""
    final = automl.final_
    curves_part = "test" if len(automl._test_rows) else "valid"
    scored = len(automl._test_rows) or len(automl._fit_rows)
    n_rows = importance_rows(
        scored, len(automl.feature_columns_), clock.timings.get("row_seconds", 0.0), clock.left()
    )
    importance = _importance(automl, automl.model_, n_rows) if n_rows else []
    note = "" if n_rows else " Permutation importance skipped: no time left in the budget."
    clock.lap("importance")
    return ModelDetails(
        name=final.kind if final.kind != "single" else "best",
        family=final.kind,
        params={f"trial {n}": round(w, 4) for n, w in final.members.items()},
        cv_score=final.score,
        validation=automl.split_description_,
        metrics={k: v["metrics"] for k, v in final_parts.items()},
        curves=final_parts.get(curves_part, final_parts["train"]).get("curves", {}),
        curves_part=curves_part if curves_part in final_parts else "train",
        importance=importance,
        notes=f"Final model ({final.kind}); search stopped: {automl.stop_reason_}. "
        + f"Validation: {automl.split_rule_}. "
        + _refit_text(final.refitted, list(final.members))
        + note,
    )


def _trial_details(automl: FittedRun, clock: SaveClock) -> list[ModelDetails]:
    """Report entries of the best kept trials, while the time left allows another one."""
    kept = automl.search_.kept
    ok = [r for r in automl.trials_ if r.status is TrialStatus.OK and r.number in kept]
    greater = get_metric(automl.metric_, automl.task_).greater_is_better
    ok.sort(key=lambda r: -(r.score or 0.0) if greater else (r.score or 0.0))
    models = []
    slowest = 0.0
    for record in ok[:REPORTED_TRIALS]:
        if clock.left() < 2 * slowest:
            break
        oof = kept[record.number].oof
        if oof is None:
            continue
        valid = _evaluate(
            automl, automl._y[automl._fit_rows][automl._valid_rows], oof, with_ci=False
        )
        models.append(
            ModelDetails(
                name=model_name(record),
                family=record.family,
                params=record.params,
                preprocessing=record.preprocessing,
                cv_score=record.score,
                cv_std=record.score_std,
                fit_time=record.fit_time,
                validation=automl.split_description_,
                metrics={"valid": valid["metrics"]},
                curves=valid.get("curves", {}),
                curves_part="valid",
            )
        )
        slowest = max(slowest, clock.lap("trials"))
    return models


def _summary(
    automl: FittedRun,
    final_parts: dict[str, dict[str, Any]],
    models: list[ModelDetails],
    fingerprint_text: str,
) -> RunSummary:
    final = automl.final_
    board = automl.leaderboard()
    leaderboard = [jsonable(row) for row in board.to_dict(orient="records")]
    return RunSummary(
        task=automl.task_.value,
        metric=automl.metric_,
        target=automl.target_,
        dataset={
            "n_rows": len(automl._X),
            "n_features": len(automl.feature_columns_),
            "fingerprint": fingerprint_text,
            "rows_dropped_missing_target": automl.n_dropped_missing_target_,
        },
        leaderboard=leaderboard,
        models=models,
        best_model=models[0].name,
        ensemble_weights={f"trial {n}": w for n, w in final.members.items()},
        split=split_summary_for(automl),
        synthetic=getattr(automl, "synthetic_", None),
    )


def _held_back(automl: FittedRun, test_output: np.ndarray | None = None) -> pd.DataFrame | None:
    """The test rows with the final model's outputs, else the out-of-fold validation rows
    with theirs (at most ``MAX_HELD_BACK_ROWS``), for the monitoring estimates.
    ``test_output``: the final model's outputs on all test rows, if already predicted."""
    from tunelab.bundles._held_back import MAX_HELD_BACK_ROWS

    classes = list(automl.classes_) if automl.task_.is_classification else None
    if len(automl._test_rows):
        rows = automl._test_rows
        picked = np.arange(len(rows))
        if len(rows) > MAX_HELD_BACK_ROWS:
            rng = np.random.default_rng(automl.seed)
            picked = rng.choice(len(rows), MAX_HELD_BACK_ROWS, replace=False)
            picked = picked[np.argsort(rows[picked])]  # the rows in order, as before
            rows = rows[picked]
        X = automl._X.iloc[rows]
        if test_output is not None and len(test_output) == len(automl._test_rows):
            output = test_output[picked]
        else:
            output = _predict(automl, automl.model_, X)
        return held_back_frame(X, automl._y[rows], output, classes, seed=automl.seed)
    oof = automl.final_.oof
    if oof is None:
        return None
    rows = automl._fit_rows[automl._valid_rows]
    return held_back_frame(automl._X.iloc[rows], automl._y[rows], oof, classes, seed=automl.seed)


def _held_back_or_none(
    automl: FittedRun, test_output: np.ndarray | None = None
) -> pd.DataFrame | None:
    try:
        return _held_back(automl, test_output)
    except Exception:  # the bundle stays usable; monitoring then estimates without them
        import logging

        logging.getLogger(__name__).warning("no held-back rows for monitoring", exc_info=True)
        return None


def _labels_or_values(
    automl: FittedRun, output: np.ndarray | None, n_rows: int
) -> np.ndarray | None:
    """What ``model_.predict`` returns on the in-sample rows, from their already predicted
    ``output`` (None when it covers fewer rows or cannot be derived exactly): values for
    regression; for classification the arg-max of the probabilities, only for the models
    whose ``predict`` is defined so (tunelab's ensembles and fold bags)."""
    if output is None or len(output) != n_rows:
        return None
    if not automl.task_.is_classification:
        return output
    from tunelab.ensembling import FoldBag, WeightedEnsemble

    if type(automl.model_) in (FoldBag, WeightedEnsemble):  # predict = arg-max of proba
        return np.argmax(output, axis=1)
    return None


def split_summary_for(automl: FittedRun) -> dict[str, Any]:
    """Row and class counts of the train/valid/test parts."""
    from tunelab.evaluation import Splits

    fit_rows = automl._fit_rows
    folds = [(fit_rows[t], fit_rows[v]) for t, v in automl._folds]
    splits = Splits(test_index=automl._test_rows, folds=folds)
    return split_summary(splits, automl._y)


def save_run(
    automl: FittedRun,
    path: Path,
    *,
    data_dictionary: Mapping[str, Mapping[str, str]] | None = None,
    deadline: float | None = None,
) -> Path:
    """Bundle + leaderboard.csv/json + report/ + timings.json in ``path``; returns ``path``.

    The bundle, the leaderboard and the final model's metrics are always written; with a
    ``deadline`` (``time.monotonic()``) the report's optional parts (permutation importance,
    the best trials' pages) are cut down or left out to end by then. ``timings.json`` holds
    the fit's phase timings (``AutoML.timings_``) and the save's. ``data_dictionary``
    (``{column: {"description", "meaning"}}``) goes into the bundle's manifest.
    """
    clock = SaveClock(deadline)
    X = automl._X
    prep = getattr(automl, "_save_prep", None)  # data-only parts computed before the search
    if prep is not None:
        schema, stats, fingerprint_text = prep.schema, prep.reference_stats, prep.fingerprint
    else:
        kinds = {c.name: c.kind for c in automl.profile_.columns if c.name in X.columns}
        schema = infer_input_schema(X, kinds)
        stats = reference_statistics(X.iloc[automl._fit_rows], schema)
        fingerprint_text = fingerprint(X)
    outputs: dict[str, np.ndarray] = {}
    intervals = 0.0
    if prep is not None:  # the valid part's measured cost, and the test part's by its rows
        valid_rows = max(1, len(automl._valid_rows))
        intervals = prep.evaluate_seconds * (1 + len(automl._test_rows) / valid_rows)
    final_parts = _parts(automl, automl.model_, automl.final_.oof, clock, outputs, intervals)
    metrics = {part: m["metrics"] for part, m in final_parts.items()}
    board = automl.leaderboard()
    clock.lap("evaluation")
    save_bundle(
        path,
        automl.model_,
        task=automl.task_,
        target=automl.target_,
        classes=list(automl.classes_) if automl.task_.is_classification else None,
        feature_columns=automl.feature_columns_,
        input_schema=schema,
        metrics=metrics,
        data_fingerprint=fingerprint_text,
        reference_stats=stats,
        data_dictionary=data_dictionary,
        prediction_reference=X.iloc[automl._fit_rows],
        held_back=_held_back_or_none(automl, outputs.get("test")),
        prediction_outputs=_labels_or_values(automl, outputs.get("train"), len(automl._fit_rows)),
        extra={
            "metric": automl.metric_,
            "model_kind": automl.final_.kind,
            "ensemble_members": {str(n): w for n, w in automl.final_.members.items()},
            "refitted_members": [str(n) for n in automl.final_.refitted],
            "split": automl.split_description_,
            "split_rule": automl.split_rule_,
            "search": {
                "stop_reason": automl.stop_reason_,
                "n_trials": len(automl.trials_),
                "families": automl.families_,
            },
        },
    )
    board.to_csv(path / "leaderboard.csv", index=False)
    (path / "leaderboard.json").write_text(
        json.dumps(jsonable(board.to_dict(orient="records")), indent=2)
    )
    clock.lap("bundle")
    models = [_final_details(automl, final_parts, clock)]
    models += _trial_details(automl, clock)
    summary = _summary(automl, final_parts, models, fingerprint_text)
    if summary.synthetic is not None:
        (path / "synthetic.json").write_text(json.dumps(jsonable(summary.synthetic), indent=2))
    write_report(path, summary)
    clock.lap("report")
    write_timings(path, automl, clock.timings)
    return path


TIMINGS_FILE = "timings.json"


def write_timings(path: Path, automl: FittedRun, save: dict[str, float]) -> None:
    """``timings.json``: seconds per phase of the fit (``AutoML.timings_``) and the save."""
    data = {"fit": dict(getattr(automl, "timings_", {})), "save": dict(save)}
    data["save"]["total"] = round(sum(v for k, v in save.items() if k != "row_seconds"), 3)
    (path / TIMINGS_FILE).write_text(json.dumps(jsonable(data), indent=2))


def evaluate_frame(automl: FittedRun, df: pd.DataFrame, target: str) -> dict[str, Any]:
    """All metrics (with 95% bootstrap intervals) of the final model on a labelled table."""
    if target not in df.columns:
        raise DataError(f"target column {target!r} is not in the table")
    labelled = df[df[target].notna()]
    if labelled.empty:
        raise DataError(f"target column {target!r} has no values")
    X = automl._features(labelled)
    if automl.task_.is_classification:
        index = {label: i for i, label in enumerate(automl.classes_)}
        unknown = sorted({str(v) for v in labelled[target] if v not in index})
        if unknown:
            raise DataError(
                f"target column {target!r} holds labels the model never saw: {', '.join(unknown)}"
            )
        y = np.array([index[v] for v in labelled[target]], dtype=np.int64)
    else:
        y = labelled[target].to_numpy(dtype=np.float64)
    return _evaluate(automl, y, _predict(automl, automl.model_, X))
