"""The ``evaluate`` job: metrics with 95% intervals on train/valid/test, plus plot figures.

Where the rows come from (payload ``{"model_id", "dataset_id"?, "target"?}``):

- with ``dataset_id``: every labelled row of that dataset (one part, ``"dataset"``);
- otherwise the model's experiment: the split parts the AutoML job stored under
  ``experiments/<id>/splits/<part>.<ext>`` are predicted again with the bundle (``train``:
  in-sample, ``test``: held out); ``valid`` always comes from the bundle's report
  (``report/report.json``: out-of-fold predictions of the search — the final model has seen
  those rows, so predicting them again would flatter it). Parts with no stored rows fall back
  to the report too, and so do the plots and the importance when there is no row at all.

Results land in the artifacts: ``evaluations/<model>/evaluation.json`` (written last, so its
presence means complete) and ``evaluations/<model>/plots/<name>.json`` (Plotly figure JSON).
"""

import json
import tempfile
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np

from tunelab.entities.artifact_keys import (
    evaluation_key,
    evaluation_plot_key,
    evaluation_plots_prefix,
    splits_prefix,
)
from tunelab.entities.errors import DataError
from tunelab.jobs._context import JobContext
from tunelab.jobs._evaluate_figures import build_figures
from tunelab.jobs._handlers import _bundle_dir, _inputs, _read_dataset
from tunelab.tracking import jsonable

PARTS = ("train", "valid", "test")
CI_RESAMPLES = 500  # as the engine's own report
MAX_SCORED_ROWS = 20_000  # rows scored per part (a seeded random sample above this)
IMPORTANCE_ROWS = 2_000
IMPORTANCE_REPEATS = 3


def _split_keys(ctx: JobContext, experiment_id: str | None, run: Any = None) -> dict[str, str]:
    """Artifact keys of the stored split parts (and ``summary``) of the model's run, by part
    name (empty when none); runs saved before runs were kept apart use the old folder."""
    if not experiment_id:
        return {}
    keys = ctx.artifacts.list(splits_prefix(experiment_id, int(run))) if run else []
    if not keys:
        keys = ctx.artifacts.list(splits_prefix(experiment_id))
    found: dict[str, str] = {}
    for key in keys:
        stem = PurePosixPath(key).name.split(".")[0]
        if stem in (*PARTS, "summary") and stem not in found:
            found[stem] = key
    return found


def _validation_source(ctx: JobContext, keys: dict[str, str]) -> str:
    """What the engine's validation scores come from: out-of-fold predictions (CV) or the
    holdout validation part (one fold)."""
    import json

    if "summary" in keys:
        summary = json.loads(ctx.artifacts.read_bytes(keys["summary"]))
        if int(summary.get("n_folds") or 0) == 1:
            return "holdout validation predictions"
    return "out-of-fold predictions"


def _read_part(ctx: JobContext, key: str) -> Any:
    from tunelab.data import read_table

    with tempfile.TemporaryDirectory(prefix="tunelab-eval-") as tmp:
        local = ctx.artifacts.get_file(key, Path(tmp) / PurePosixPath(key).name)
        return read_table(local)


def _read_report(bundle_path: Path) -> dict[str, Any] | None:
    path = bundle_path / "report" / "report.json"
    if not path.is_file():
        return None
    report: dict[str, Any] = json.loads(path.read_text())
    return report


def _labelled(df: Any, target: str, where: str, seed: int) -> Any:
    if target not in df.columns:
        raise DataError(f"target column {target!r} is not in the {where}")
    labelled = df[df[target].notna()]
    if labelled.empty:
        raise DataError(f"target column {target!r} has no values in the {where}")
    if len(labelled) > MAX_SCORED_ROWS:
        labelled = labelled.sample(MAX_SCORED_ROWS, random_state=seed)
    return labelled


def _encode(bundle: Any, values: Any, target: str) -> np.ndarray:
    """Class labels -> codes 0..k-1 in the bundle's class order (matched by value or text)."""
    classes = list(bundle.classes or [])
    index: dict[Any, int] = {label: i for i, label in enumerate(classes)}
    by_text = {str(label): i for i, label in enumerate(classes)}
    codes, unknown = [], set()
    for value in values:
        code = index.get(value, by_text.get(str(value)))
        if code is None:
            unknown.add(str(value))
        codes.append(-1 if code is None else code)
    if unknown:
        raise DataError(f"target {target!r} holds labels the model never saw: {sorted(unknown)}")
    return np.asarray(codes, dtype=np.int64)


class _Scorer:
    """Predicts rows with a bundle and scores them with every metric of its task."""

    def __init__(self, bundle: Any, target: str, seed: int) -> None:
        self.bundle, self.target, self.seed = bundle, target, seed
        self.task = bundle.task

    def truth_and_prediction(self, df: Any, where: str) -> tuple[Any, np.ndarray, np.ndarray]:
        labelled = _labelled(df, self.target, where, self.seed)
        X = self.bundle.validate(_inputs(self.bundle, labelled))
        if self.task.is_classification:
            y = _encode(self.bundle, labelled[self.target], self.target)
            return X, y, np.asarray(self.bundle.model.predict_proba(X), dtype=float)
        y = labelled[self.target].to_numpy(dtype=float)
        return X, y, np.asarray(self.bundle.model.predict(X), dtype=float).ravel()

    def score(self, y: np.ndarray, pred: np.ndarray, *, curves: bool) -> dict[str, Any]:
        from tunelab.evaluation import evaluate_predictions

        kwargs: dict[str, Any] = {"seed": self.seed, "n_resamples": CI_RESAMPLES}
        if self.task.is_classification:
            kwargs.update(proba=pred, classes=list(self.bundle.classes or []))
        else:
            kwargs.update(y_pred=pred)
        return dict(evaluate_predictions(self.task, None, y, with_curves=curves, **kwargs))

    def importance(self, X: Any, y: np.ndarray, metric_name: str) -> list[Any]:
        from tunelab.evaluation import get_metric, permutation_importance

        model = self.bundle.model
        predict = model.predict_proba if self.task.is_classification else model.predict
        result = permutation_importance(
            predict,
            X,
            y,
            get_metric(metric_name, self.task),
            n_repeats=IMPORTANCE_REPEATS,
            seed=self.seed,
            max_rows=IMPORTANCE_ROWS,
        )
        return [list(row) for row in result]


def _metric_name(bundle: Any, report: dict[str, Any] | None) -> str:
    from tunelab.evaluation import default_metric

    name = (bundle.manifest.get("extra") or {}).get("metric") or (report or {}).get("metric")
    return str(name) if name else default_metric(bundle.task).name


def _part(result: dict[str, Any], source: str) -> dict[str, Any]:
    return {
        "n_rows": result.get("n_rows"),
        "source": source,
        "metrics": result.get("metrics", {}),
        "skipped": result.get("skipped", {}),
    }


def _from_report(report: dict[str, Any] | None) -> dict[str, Any]:
    """The final model's details as the engine's report saved them (or an empty dict)."""
    models = (report or {}).get("models") or []
    return dict(models[0]) if models else {}


def _experiment_parts(
    ctx: JobContext, bundle: Any, model: Any, seed: int
) -> tuple[dict[str, Any], dict[str, Any], list[Any] | None, str]:
    """Parts, curves, importance and the name of the part the plots show."""
    report = _read_report(bundle.path)
    final = _from_report(report)
    keys = _split_keys(ctx, model.experiment_id, (model.metrics or {}).get("run"))
    validation_source = _validation_source(ctx, keys)
    keys.pop("summary", None)
    target = str(bundle.manifest.get("target"))
    scorer = _Scorer(bundle, target, seed)
    parts: dict[str, Any] = {}
    curves: dict[str, Any] = {}
    importance: list[Any] | None = None
    plots_part = ""
    reported = final.get("metrics") or {}
    if not keys and not reported:
        raise DataError(
            f"model {model.id} has no saved report and its experiment stored no split rows: "
            "evaluate it on a labelled dataset instead (payload field 'dataset_id')"
        )
    metric = _metric_name(bundle, report)
    in_sample: tuple[Any, np.ndarray, np.ndarray] | None = None
    for i, part in enumerate(PARTS):
        ctx.check_cancelled()
        ctx.emit("progress", {"step": f"scoring {part}", "done": i, "total": len(PARTS) + 1})
        if part in keys and part != "valid":
            X, y, pred = scorer.truth_and_prediction(_read_part(ctx, keys[part]), f"{part} part")
            held_out = part == "test"
            result = scorer.score(y, pred, curves=held_out)
            parts[part] = _part(result, "held-out rows" if held_out else "in-sample rows")
            if held_out:
                curves, plots_part = result["curves"], part
                ctx.emit("progress", {"step": "permutation importance", "part": part})
                importance = scorer.importance(X, y, metric)
            else:
                in_sample = (X, y, pred)
        elif part in reported:
            source = validation_source if part == "valid" else "saved report"
            parts[part] = {
                "n_rows": None,
                "source": source,
                "metrics": reported[part],
                "skipped": {},
            }
    if not curves and final.get("curves"):  # the report's plots (test or out-of-fold rows)
        curves, plots_part = final["curves"], str(final.get("curves_part") or "valid")
        importance = final.get("importance") or None
    if not curves and in_sample is not None:  # last resort: the training rows themselves
        X, y, pred = in_sample
        curves, plots_part = scorer.score(y, pred, curves=True)["curves"], "train"
        importance = scorer.importance(X, y, metric)
    if importance is None and final.get("importance"):
        importance = final["importance"]
    return parts, curves, importance, plots_part


def _dataset_part(
    ctx: JobContext, bundle: Any, dataset_id: str, target: str, seed: int
) -> tuple[dict[str, Any], dict[str, Any], list[Any] | None, dict[str, Any]]:
    df = _read_dataset(ctx, dataset_id)
    ctx.check_cancelled()
    scorer = _Scorer(bundle, target, seed)
    ctx.emit("progress", {"step": "scoring dataset", "done": 0, "total": 2})
    X, y, pred = scorer.truth_and_prediction(df, "dataset")
    result = scorer.score(y, pred, curves=True)
    ctx.emit("progress", {"step": "permutation importance", "done": 1, "total": 2})
    importance = scorer.importance(X, y, _metric_name(bundle, _read_report(bundle.path)))
    return (
        {"dataset": _part(result, f"dataset {dataset_id}")},
        result["curves"],
        importance,
        result,
    )


def _store(
    ctx: JobContext,
    model_id: str,
    dataset_id: str | None,
    document: dict[str, Any],
    figures: dict[str, Any],
) -> None:
    for name, figure in figures.items():
        ctx.artifacts.put_bytes(
            evaluation_plot_key(model_id, dataset_id, name), json.dumps(jsonable(figure)).encode()
        )
    ctx.artifacts.put_bytes(
        evaluation_key(model_id, dataset_id), json.dumps(jsonable(document)).encode()
    )
    for key in ctx.artifacts.list(evaluation_plots_prefix(model_id, dataset_id)):
        if PurePosixPath(key).stem not in figures:
            ctx.artifacts.delete(key)


def evaluate(ctx: JobContext) -> dict[str, Any]:
    """All metrics (95% bootstrap intervals) and plot figures of a model; stored as artifacts."""
    from tunelab.bundles import load_bundle

    model_id = ctx.require("model_id")
    model = ctx.store.get_model(model_id)
    bundle = load_bundle(_bundle_dir(ctx, model_id))
    seed = int(ctx.payload.get("seed", 0))
    dataset_id = ctx.payload.get("dataset_id")
    extra: dict[str, Any] = {}
    if dataset_id:
        target = str(ctx.payload.get("target") or bundle.manifest.get("target"))
        parts, curves, importance, result = _dataset_part(ctx, bundle, dataset_id, target, seed)
        plots_part, source = "dataset", f"dataset:{dataset_id}"
        extra = {"n_rows": result["n_rows"], "metrics": result["metrics"]}  # older job result
    else:
        parts, curves, importance, plots_part = _experiment_parts(ctx, bundle, model, seed)
        source = f"experiment:{model.experiment_id}" if model.experiment_id else "report"
    ctx.check_cancelled()
    figures = build_figures(bundle.task.value, curves, importance)
    document = {
        "model_id": model_id,
        "task": bundle.task.value,
        "metric": _metric_name(bundle, _read_report(bundle.path)),
        "classes": bundle.classes,
        "source": source,
        "parts": parts,
        "plots": list(figures),
        "plots_part": plots_part,
        "importance": importance or [],
        "job_id": ctx.job.id,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    _store(ctx, model_id, dataset_id, document, figures)
    ctx.emit("progress", {"step": "done", "done": 1, "total": 1, "plots": list(figures)})
    return {
        "model_id": model_id,
        "task": bundle.task.value,
        "source": source,
        "parts": sorted(parts),
        "plots": list(figures),
        "key": evaluation_key(model_id, dataset_id),
        **jsonable(extra),
    }
