"""The lab's logistic-regression model and its 13 Katib parameters, evaluated honestly.

Cross-validation is always grouped by user (a user's sessions never sit on both sides), the
threshold of the "tuned" strategy is chosen on predictions for data the scored fold did not
see, and the evaluated population is fixed: ``min_prelogin_events`` only filters the sessions
a model is trained on, so trials with different values are scored on the same sessions.
"""

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, average_precision_score, f1_score
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import RobustScaler, StandardScaler

from tunelab.entities import ConfigError
from tunelab.recipes.gender._features import FEATURES, LABEL


@dataclass(frozen=True)
class LabParams:
    """The 13 parameters of ``gender_experiment.yaml`` with the lab script's defaults.

    Inactive combinations: ``l1_ratio`` only with penalty "elasticnet"; ``prod_threshold`` only
    with threshold_strategy "prod"; ``tune_t_lo``/``tune_t_hi``/``tune_t_steps`` only with
    "tuned" (and ``tune_t_steps`` barely matters: 61 points already resolve 0.01).
    """

    min_prelogin_events: int = 2
    penalty: str = "l2"
    C: float = 1.0
    l1_ratio: float = 0.5
    scaler: str = "standard"
    class_weight: str = "balanced"
    calib_method: str = "isotonic"
    calib_cv: int = 5
    threshold_strategy: str = "prod"
    prod_threshold: float = 0.444
    tune_t_lo: float = 0.3
    tune_t_hi: float = 0.7
    tune_t_steps: int = 61

    def __post_init__(self) -> None:
        choices = {
            "penalty": ("l1", "l2", "elasticnet"),
            "scaler": ("standard", "robust"),
            "class_weight": ("balanced", "none"),
            "calib_method": ("isotonic", "sigmoid"),
            "threshold_strategy": ("prod", "tuned"),
        }
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise ConfigError(f"{name} must be one of {allowed}, got {getattr(self, name)!r}")
        if self.tune_t_lo >= self.tune_t_hi:
            raise ConfigError(
                f"tune_t_lo ({self.tune_t_lo}) must be below tune_t_hi ({self.tune_t_hi})"
            )

    @classmethod
    def from_mapping(cls, values: dict[str, Any]) -> "LabParams":
        """Builds the parameters from strings (Katib assignments), converting types."""
        fields = cls.__dataclass_fields__
        unknown = set(values) - set(fields)
        if unknown:
            raise ConfigError(f"unknown parameter(s) {sorted(unknown)}")
        kwargs: dict[str, Any] = {}
        for name, value in values.items():
            default = fields[name].default
            try:
                if isinstance(default, int):
                    kwargs[name] = int(float(value))
                elif isinstance(default, float):
                    kwargs[name] = float(value)
                else:
                    kwargs[name] = str(value)
            except ValueError as exc:
                raise ConfigError(f"parameter {name}: cannot read {value!r}") from exc
        return cls(**kwargs)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def lab_baseline(seed: int = 0) -> BaseEstimator:
    """The notebook's model: StandardScaler + LR(saga, l2, C=1) + isotonic calibration (cv=5)."""
    lr = LogisticRegression(solver="saga", C=1.0, l1_ratio=0.0, max_iter=5000, random_state=seed)
    pipe = Pipeline([("scale", StandardScaler()), ("lr", lr)])
    return CalibratedClassifierCV(pipe, method="isotonic", cv=5)


def make_estimator(params: LabParams, seed: int = 0) -> BaseEstimator:
    """The calibrated pipeline a trial with ``params`` trains."""
    l1_ratio = {"l1": 1.0, "l2": 0.0}.get(params.penalty, params.l1_ratio)
    # lbfgs reaches the same l2 optimum as the lab's saga several times faster; saga (with a
    # looser tolerance) is kept where it is needed, for l1 and elastic-net.
    lr = LogisticRegression(
        solver="lbfgs" if l1_ratio == 0.0 else "saga",
        tol=1e-4 if l1_ratio == 0.0 else 1e-3,
        C=params.C,
        l1_ratio=l1_ratio,
        class_weight="balanced" if params.class_weight == "balanced" else None,
        max_iter=5000,
        random_state=seed,
    )
    scaler = StandardScaler() if params.scaler == "standard" else RobustScaler()
    pipe = Pipeline([("scale", scaler), ("lr", lr)])
    return CalibratedClassifierCV(pipe, method=params.calib_method, cv=params.calib_cv)


def best_threshold(y: np.ndarray, proba: np.ndarray, lo: float, hi: float, steps: int) -> float:
    """The threshold in linspace(lo, hi, steps) with the highest macro-F1."""
    grid = np.linspace(lo, hi, int(steps))
    scores = [f1_score(y, (proba >= t).astype(int), average="macro") for t in grid]
    return float(grid[int(np.argmax(scores))])


def xy(frame: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """Feature matrix and label (M = 1, F = 0) of a feature table."""
    return frame[list(FEATURES)], (frame[LABEL].to_numpy() == "M").astype(int)


@dataclass(frozen=True)
class CVResult:
    """Grouped cross-validation of one parameter set on training users."""

    macro_f1: float
    accuracy: float
    pr_auc: float
    threshold: float  # the threshold a refit on all training data uses
    oof_proba: np.ndarray


def cross_validate(
    frame: pd.DataFrame, params: LabParams, *, folds: int = 5, seed: int = 0
) -> CVResult:
    """Out-of-fold scores of ``params`` with StratifiedGroupKFold over ``user_id``."""
    X, y = xy(frame)
    groups = frame["user_id"].to_numpy()
    n_events = frame["n_events"].to_numpy()
    cv = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    splits = list(cv.split(X, y, groups))
    oof = np.zeros(len(y))
    for train_idx, valid_idx in splits:
        keep = train_idx[n_events[train_idx] >= params.min_prelogin_events]
        model = clone(make_estimator(params, seed)).fit(X.iloc[keep], y[keep])
        oof[valid_idx] = model.predict_proba(X.iloc[valid_idx])[:, 1]
    pred = np.zeros(len(y), dtype=int)
    for k, (_, valid_idx) in enumerate(splits):
        if params.threshold_strategy == "prod":
            t = params.prod_threshold
        else:  # chosen on the other folds' out-of-fold predictions, never on this fold
            other = np.concatenate([v for j, (_, v) in enumerate(splits) if j != k])
            t = best_threshold(
                y[other], oof[other], params.tune_t_lo, params.tune_t_hi, params.tune_t_steps
            )
        pred[valid_idx] = (oof[valid_idx] >= t).astype(int)
    final_t = (
        params.prod_threshold
        if params.threshold_strategy == "prod"
        else best_threshold(y, oof, params.tune_t_lo, params.tune_t_hi, params.tune_t_steps)
    )
    return CVResult(
        macro_f1=float(f1_score(y, pred, average="macro")),
        accuracy=float(accuracy_score(y, pred)),
        pr_auc=float(average_precision_score(y, oof)),
        threshold=final_t,
        oof_proba=oof,
    )


class ThresholdedModel(ClassifierMixin, BaseEstimator):
    """A fitted probabilistic classifier with a fixed decision threshold on P(M)."""

    def __init__(self, estimator: Any = None, threshold: float = 0.5) -> None:
        self.estimator = estimator
        self.threshold = threshold

    def fit(self, X: pd.DataFrame, y: np.ndarray) -> "ThresholdedModel":
        self.estimator_ = clone(self.estimator).fit(X, y)
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        return np.asarray(self.estimator_.predict_proba(X))

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return (self.predict_proba(X)[:, 1] >= self.threshold).astype(int)


def fit_with_params(frame: pd.DataFrame, params: LabParams, seed: int = 0) -> ThresholdedModel:
    """Retrains on the training sessions (>= min_prelogin_events) with the CV threshold."""
    threshold = cross_validate(frame, params, seed=seed).threshold
    X, y = xy(frame)
    keep = frame["n_events"].to_numpy() >= params.min_prelogin_events
    model = ThresholdedModel(make_estimator(params, seed), threshold)
    return model.fit(X.loc[keep], y[keep])
