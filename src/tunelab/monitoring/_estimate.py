"""Performance estimates before labels, fitted on a model's held-back rows (inputs, true
target, the model's outputs; ``tunelab.bundles``' ``held_back.parquet``):

- classification (NannyML's CBPE): one isotonic calibrator per class (one-vs-rest, rows
  renormalised) maps the logged probabilities to calibrated ones; the expected accuracy is
  the mean calibrated probability of the predicted class;
- regression (NannyML's DLE, direct loss estimation): gradient-boosted models of the
  absolute and the squared error from the inputs and the prediction; the expected MAE and
  RMSE are the means of their predictions over the window.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from tunelab.monitoring._log import PREDICTION, PROBA, inputs_of

TRUTH = "__y"
MIN_REFERENCE_ROWS = 50  # fewer held-back rows fit no calibrator or error model


def _class_matrix(frame: pd.DataFrame, classes: Sequence[Any]) -> np.ndarray:
    columns = [PROBA + str(c) for c in classes]
    return frame.reindex(columns=columns).to_numpy(dtype=float)


@dataclass(frozen=True)
class Calibrator:
    """Isotonic maps, one per class (binary: the positive class only)."""

    classes: tuple[str, ...]
    maps: tuple[Any, ...]

    def calibrate(self, proba: np.ndarray) -> np.ndarray:
        """Calibrated probabilities (rows sum to 1) of ``proba`` (n, k)."""
        if len(self.classes) == 2:
            positive = self.maps[0].predict(proba[:, 1])
            return np.column_stack([1 - positive, positive])
        out = np.column_stack([m.predict(proba[:, i]) for i, m in enumerate(self.maps)])
        total = out.sum(axis=1, keepdims=True)
        uniform = np.full_like(out, 1.0 / out.shape[1])
        return np.where(total > 0, out / np.where(total > 0, total, 1.0), uniform)


def fit_calibrator(reference: pd.DataFrame | None, classes: Sequence[Any]) -> Calibrator | None:
    """Isotonic calibrators on the held-back rows (None when there are too few)."""
    from sklearn.isotonic import IsotonicRegression

    if reference is None or len(reference) < MIN_REFERENCE_ROWS or TRUTH not in reference:
        return None
    names = [str(c) for c in classes]
    proba = _class_matrix(reference, names)
    keep = np.isfinite(proba).all(axis=1)
    truth = reference[TRUTH].astype(str).to_numpy()[keep]
    proba = proba[keep]
    if len(proba) < MIN_REFERENCE_ROWS:
        return None
    columns = [1] if len(names) == 2 else range(len(names))
    maps = []
    for i in columns:
        iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
        maps.append(iso.fit(proba[:, i], (truth == names[i]).astype(float)))
    return Calibrator(tuple(names), tuple(maps))


def _codes(frame: pd.DataFrame, columns: Sequence[str], categories: dict[str, list[str]]) -> Any:
    """Inputs as numbers for the error model: numbers as they are, text as category codes
    (an unseen value is missing) and the prediction."""
    out = np.empty((len(frame), len(columns) + 1), dtype=float)
    for j, name in enumerate(columns):
        values = frame[name] if name in frame.columns else pd.Series(np.nan, index=frame.index)
        if name in categories:
            index = {v: i for i, v in enumerate(categories[name])}
            out[:, j] = [index.get(v, np.nan) for v in values.astype(object)]
        else:
            out[:, j] = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    out[:, -1] = pd.to_numeric(frame[PREDICTION], errors="coerce").to_numpy(dtype=float)
    return out


@dataclass(frozen=True)
class ErrorModel:
    """DLE: models of |y - prediction| and (y - prediction)^2 from inputs and prediction."""

    columns: tuple[str, ...]
    categories: dict[str, list[str]]
    absolute: Any
    squared: Any
    reference_abs_std: float
    reference_sq_std: float

    def expected_errors(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Expected absolute and squared errors per row (clipped at 0)."""
        X = _codes(frame, self.columns, self.categories)
        return (
            np.clip(self.absolute.predict(X), 0, None),
            np.clip(self.squared.predict(X), 0, None),
        )


def fit_error_model(reference: pd.DataFrame | None, seed: int = 0) -> ErrorModel | None:
    """The error models on the held-back rows (None when there are too few)."""
    from sklearn.ensemble import HistGradientBoostingRegressor

    if reference is None or len(reference) < MIN_REFERENCE_ROWS or TRUTH not in reference:
        return None
    y = pd.to_numeric(reference[TRUTH], errors="coerce").to_numpy(dtype=float)
    predicted = pd.to_numeric(reference[PREDICTION], errors="coerce").to_numpy(dtype=float)
    keep = np.isfinite(y) & np.isfinite(predicted)
    if keep.sum() < MIN_REFERENCE_ROWS:
        return None
    rows = reference.loc[keep]
    inputs = inputs_of(rows)
    columns = [c for c in inputs.columns if c != TRUTH]
    categories = {
        c: sorted(inputs[c].dropna().astype(str).unique().tolist())
        for c in columns
        if not pd.api.types.is_numeric_dtype(inputs[c])
    }
    X = _codes(rows, columns, categories)
    error = y[keep] - predicted[keep]

    def fit(target: np.ndarray) -> Any:
        model = HistGradientBoostingRegressor(
            max_iter=100, learning_rate=0.1, min_samples_leaf=20, random_state=seed
        )
        return model.fit(X, target)

    return ErrorModel(
        tuple(columns),
        categories,
        fit(np.abs(error)),
        fit(error**2),
        float(np.std(np.abs(error))),
        float(np.std(error**2)),
    )


def _interval(value: float, half: float, low: float | None = None) -> dict[str, Any]:
    ci_low = value - half if low is None else max(low, value - half)
    return {"value": value, "ci_low": ci_low, "ci_high": value + half, "estimate": True}


def estimate_regression(model: ErrorModel, frame: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """DLE: expected MAE and RMSE of the window's rows, each with the 95% sampling interval
    of a window of that size (from the spread of the held-back errors)."""
    predicted = pd.to_numeric(frame[PREDICTION], errors="coerce").to_numpy(dtype=float)
    keep = np.isfinite(predicted)
    n = int(keep.sum())
    if n == 0:
        return {}
    absolute, squared = model.expected_errors(frame.loc[keep])
    mae = float(absolute.mean())
    mse = float(squared.mean())
    half_mse = 1.96 * model.reference_sq_std / np.sqrt(n)
    rmse = float(np.sqrt(mse))
    low = float(np.sqrt(max(0.0, mse - half_mse)))
    high = float(np.sqrt(mse + half_mse))
    return {
        "mae": _interval(mae, 1.96 * model.reference_abs_std / np.sqrt(n), 0.0),
        "rmse": {"value": rmse, "ci_low": low, "ci_high": high, "estimate": True},
    }
