"""Writing a finished run: the model bundle, the leaderboard and the report."""

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tunelab.automl._fitted import FittedRun
from tunelab.automl._leaderboard import model_name
from tunelab.bundles import infer_input_schema, reference_statistics, save_bundle
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


def _parts(automl: FittedRun, model: Any, oof: np.ndarray | None) -> dict[str, dict[str, Any]]:
    """Metrics (and curves) on train (in-sample), valid (out-of-fold) and test rows."""
    X, y = automl._X, automl._y
    fit_rows, test_rows = automl._fit_rows, automl._test_rows
    parts: dict[str, dict[str, Any]] = {}
    train_rows = fit_rows[:20_000]  # in-sample scores need no more rows than this
    # In-sample scores only show overfitting: no interval for them.
    parts["train"] = _evaluate(
        automl, y[train_rows], _predict(automl, model, X.iloc[train_rows]), with_ci=False
    )
    if oof is not None:
        parts["valid"] = _evaluate(automl, y[fit_rows][automl._valid_rows], oof)
    if len(test_rows):
        parts["test"] = _evaluate(automl, y[test_rows], _predict(automl, model, X.iloc[test_rows]))
    return parts


def _importance(automl: FittedRun, model: Any) -> list[tuple[str, float, float]]:
    rows = automl._test_rows if len(automl._test_rows) else automl._fit_rows
    metric = get_metric(automl.metric_, automl.task_)
    return permutation_importance(
        lambda frame: _predict(automl, model, frame),
        automl._X.iloc[rows],
        automl._y[rows],
        metric,
        n_repeats=2,
        seed=automl.seed,
        max_rows=1000,
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


def _summary(automl: FittedRun) -> RunSummary:
    final = automl.final_
    board = automl.leaderboard()
    curves_part = "test" if len(automl._test_rows) else "valid"
    final_parts = _parts(automl, automl.model_, final.oof)
    models = [
        ModelDetails(
            name=final.kind if final.kind != "single" else "best",
            family=final.kind,
            params={f"trial {n}": round(w, 4) for n, w in final.members.items()},
            cv_score=final.score,
            validation=automl.split_description_,
            metrics={k: v["metrics"] for k, v in final_parts.items()},
            curves=final_parts.get(curves_part, final_parts["train"]).get("curves", {}),
            curves_part=curves_part if curves_part in final_parts else "train",
            importance=_importance(automl, automl.model_),
            notes=f"Final model ({final.kind}); search stopped: {automl.stop_reason_}. "
            + _refit_text(final.refitted, list(final.members)),
        )
    ]
    kept = automl.search_.kept
    ok = [r for r in automl.trials_ if r.status is TrialStatus.OK and r.number in kept]
    greater = get_metric(automl.metric_, automl.task_).greater_is_better
    ok.sort(key=lambda r: -(r.score or 0.0) if greater else (r.score or 0.0))
    for record in ok[:REPORTED_TRIALS]:
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
    leaderboard = [jsonable(row) for row in board.to_dict(orient="records")]
    return RunSummary(
        task=automl.task_.value,
        metric=automl.metric_,
        target=automl.target_,
        dataset={
            "n_rows": len(automl._X),
            "n_features": len(automl.feature_columns_),
            "fingerprint": fingerprint(automl._X),
            "rows_dropped_missing_target": automl.n_dropped_missing_target_,
        },
        leaderboard=leaderboard,
        models=models,
        best_model=models[0].name,
        ensemble_weights={f"trial {n}": w for n, w in final.members.items()},
        split=split_summary_for(automl),
        synthetic=getattr(automl, "synthetic_", None),
    )


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
) -> Path:
    """Bundle + leaderboard.csv/json + report/ in ``path``; returns ``path``."""
    X = automl._X
    kinds = {c.name: c.kind for c in automl.profile_.columns if c.name in X.columns}
    schema = infer_input_schema(X, kinds)
    summary = _summary(automl)
    metrics = {part: m for part, m in summary.models[0].metrics.items()}
    board = automl.leaderboard()
    save_bundle(
        path,
        automl.model_,
        task=automl.task_,
        target=automl.target_,
        classes=list(automl.classes_) if automl.task_.is_classification else None,
        feature_columns=automl.feature_columns_,
        input_schema=schema,
        metrics=metrics,
        data_fingerprint=summary.dataset["fingerprint"],
        reference_stats=reference_statistics(X.iloc[automl._fit_rows], schema),
        data_dictionary=data_dictionary,
        prediction_reference=X.iloc[automl._fit_rows],
        extra={
            "metric": automl.metric_,
            "model_kind": automl.final_.kind,
            "ensemble_members": {str(n): w for n, w in automl.final_.members.items()},
            "refitted_members": [str(n) for n in automl.final_.refitted],
            "split": automl.split_description_,
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
    if summary.synthetic is not None:
        (path / "synthetic.json").write_text(json.dumps(jsonable(summary.synthetic), indent=2))
    write_report(path, summary)
    return path


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
