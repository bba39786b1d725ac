"""Per-prediction explanations: contributions of each ORIGINAL input column.

- Tree models (LightGBM, XGBoost, CatBoost, sklearn forests) -> ``shap.TreeExplainer``;
  linear models (``coef_``) -> ``shap.LinearExplainer`` against a background drawn from the
  manifest's reference statistics. SHAP runs on the final estimator with the transformed row;
  the values of the transformed features are summed back to the input column each one comes
  from (a one-hot block sums to its column). Fold bags average their members' values. The
  values are additive: ``base_value + sum(contributions) == output`` where ``output`` is the
  model's raw score (log-odds of the explained class for classifiers, the value for regression;
  for a fold bag the mean of its members' raw scores).
- Anything else (weighted or stacked ensembles, kNN, SVM...) -> occlusion: a column's
  contribution is the change of the model's output (probability of the predicted class, or the
  value) when that column alone is replaced by its most frequent training value (numbers: the
  median). All replaced rows are predicted in one batch; the values are not additive.
"""

import threading
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from tunelab.server.deployments.fastpath import _differs, _probe_records, _structure
from tunelab.server.deployments.reference import CATEGORY_KINDS, example_record

OutputFn = Callable[[list[dict[str, Any]]], np.ndarray]
_FAST_ROWS = 256  # above this the vectorized preprocessors are as fast as the plan's loop
_TREE_MODULES = ("lightgbm", "xgboost", "catboost", "sklearn.ensemble._forest")


def _background(bundle: Any, n: int = 64, seed: int = 0) -> list[dict[str, Any]]:
    """Records drawn column by column from the reference statistics (for linear SHAP)."""
    rng = np.random.default_rng(seed)
    stats = bundle.reference_statistics
    base = example_record(bundle.schema, stats)
    columns: dict[str, list[Any]] = {}
    for column in bundle.schema:
        s = stats.get(column.name) or {}
        if column.kind in CATEGORY_KINDS and s.get("frequencies"):
            names = {str(c): c for c in column.categories or ()}
            keys = list(s["frequencies"])
            p = np.asarray([s["frequencies"][k] for k in keys], dtype=float)
            picks = rng.choice(len(keys), size=n, p=p / p.sum())
            columns[column.name] = [names.get(keys[i], keys[i]) for i in picks]
        elif column.kind == "numeric" and s.get("quantiles"):
            qs = sorted((float(q), v) for q, v in s["quantiles"].items() if v is not None)
            u = rng.uniform(0, 1, n)
            columns[column.name] = list(np.interp(u, [q for q, _ in qs], [v for _, v in qs]))
        else:
            columns[column.name] = [base[column.name]] * n
    return [{name: values[i] for name, values in columns.items()} for i in range(n)]


class _LightGBMContributions:
    """What ``shap.TreeExplainer`` answers for a LightGBM model (it asks the booster for its
    own TreeSHAP, ``pred_contrib``), asked on one thread: starting OpenMP threads on a busy
    server costs far more than explaining a few rows, and competes with the requests."""

    def __init__(self, booster: Any) -> None:
        self.booster = booster

    def __call__(self, Xt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        phi = np.asarray(
            self.booster.predict(Xt, num_iteration=-1, pred_contrib=True, num_threads=1),
            dtype=np.float64,
        )
        width = Xt.shape[1] + 1
        if phi.shape[1] == width:  # one output: (n, features + bias)
            return phi[:, :-1], np.atleast_1d(phi[0, -1])
        phi = phi.reshape(len(Xt), phi.shape[1] // width, width)  # (n, outputs, features + bias)
        return np.moveaxis(phi[:, :, :-1], 1, 2), phi[0, :, -1]


def _shap_contributions(explainer: Any) -> Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]:
    def contributions(Xt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        raw = np.asarray(explainer.shap_values(Xt), dtype=np.float64)
        return raw, np.atleast_1d(np.asarray(explainer.expected_value, dtype=np.float64))

    return contributions


class _LeafExplainer:
    """SHAP for one fitted preprocessor + estimator, summed back to input columns.

    ``contributions(Xt)`` gives the raw values ``(n, features[, outputs])`` of a transformed
    matrix and the expected value(s)."""

    def __init__(
        self,
        leaf: Any,
        owners: np.ndarray,
        contributions: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]],
        kind: str,
    ) -> None:
        self.leaf, self.owners, self.contributions, self.kind = leaf, owners, contributions, kind

    def values(
        self, Xt: np.ndarray, class_index: np.ndarray | None, n_columns: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """(n_rows, n_columns) contributions and (n_rows,) base values of transformed rows."""
        raw, expected = self.contributions(Xt)
        rows = np.arange(len(Xt))
        if raw.ndim == 3:  # (n, features, outputs)
            pick = np.ones(len(Xt), dtype=int) if class_index is None else class_index
            leaf_classes = np.asarray(getattr(self.leaf, "classes_", np.arange(raw.shape[2])))
            local = np.searchsorted(leaf_classes, pick).clip(0, raw.shape[2] - 1)
            raw, base = raw[rows, :, local], expected[local]
        else:
            base = np.full(len(Xt), expected[0])
        out = np.zeros((len(Xt), n_columns))
        for k, owner in enumerate(self.owners):
            if owner >= 0:
                out[:, owner] += raw[:, k]
        return out, base


class Explainer:
    """Explains records of one bundle; built lazily, safe to share between threads."""

    def __init__(self, bundle: Any, output: OutputFn, plan: Any = None) -> None:
        self.bundle = bundle
        self.output = output
        self.plan = plan  # the verified FastPlan: its per-leaf transforms skip pandas/sklearn
        self.columns = [c.name for c in bundle.schema]
        self._leaves: list[_LeafExplainer] | None = None
        self._lock = threading.Lock()
        self._ready = False

    def prepare(self) -> None:
        with self._lock:
            if self._ready:
                return
            self._leaves = self._shap_leaves()
            self._ready = True

    def _shap_leaves(self) -> list[_LeafExplainer] | None:
        leaves: list[Any] = []
        root = _structure(self.bundle.model, leaves)
        if root is None or not leaves:
            return None
        bag = root is not leaves[0]
        if bag and (hasattr(self.bundle.model, "members_") or len(root.children) != len(leaves)):
            return None  # weighted ensembles and nested bags: occlusion
        schema = self.bundle.schema
        records, blocks = _probe_records(schema, self.bundle.reference_statistics)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            X = self.bundle.validate(pd.DataFrame.from_records(records))
            background = self.bundle.validate(pd.DataFrame.from_records(_background(self.bundle)))
            out = []
            for leaf in leaves:
                est = leaf.estimator_
                Xt = np.asarray(leaf.preprocessor_.transform(X), dtype=np.float64)
                owners = np.full(Xt.shape[1], -1)
                for j, (_name, start, stop, _values) in enumerate(blocks):
                    owners[np.flatnonzero(_differs(Xt[start:stop], Xt[0]))] = j
                booster = getattr(est, "booster_", None)
                if type(est).__module__.startswith("lightgbm") and booster is not None:
                    contributions: Any = _LightGBMContributions(booster)
                    kind = "tree_shap"
                elif type(est).__module__.startswith(_TREE_MODULES):
                    import shap  # only here: a large import the LightGBM path does without

                    contributions = _shap_contributions(shap.TreeExplainer(est))
                    kind = "tree_shap"
                elif hasattr(est, "coef_"):
                    import shap

                    bg = np.asarray(leaf.preprocessor_.transform(background), dtype=np.float64)
                    masker = shap.maskers.Independent(bg)
                    contributions = _shap_contributions(shap.LinearExplainer(est, masker))
                    kind = "linear_shap"
                else:
                    return None
                out.append(_LeafExplainer(leaf, owners, contributions, kind))
        return out

    def explain(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """One explanation per record (see the module docstring for the two methods)."""
        self.prepare()
        if self._leaves:
            return self._shap(records)
        return self._occlusion(records)

    def _target_classes(self, records: list[dict[str, Any]]) -> np.ndarray | None:
        """Class explained per row: the positive class (binary) or the predicted one."""
        if not self.bundle.task.is_classification:
            return None
        proba = np.asarray(self.output(records))
        if proba.shape[1] == 2:
            return np.ones(len(records), dtype=int)
        return np.asarray(np.argmax(proba, axis=1), dtype=int)

    def _fast_matrices(self, records: list[dict[str, Any]]) -> list[np.ndarray] | None:
        """Each leaf's transformed rows through the fast plan (None: use the preprocessors)."""
        if self.plan is None or self._leaves is None or len(records) > _FAST_ROWS:
            return None
        matrices = self.plan.transform_leaves(records)
        if matrices is None or len(matrices) != len(self._leaves):
            return None
        return list(matrices)

    def _label(self, index: int | None) -> Any:
        return None if index is None else (self.bundle.classes or [])[index]

    def _shap(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        assert self._leaves is not None
        classes = self._target_classes(records)
        leaves = self._leaves
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            matrices = self._fast_matrices(records)
            if matrices is None:
                X = self.bundle.validate(pd.DataFrame.from_records(records))
                matrices = [
                    np.asarray(leaf.leaf.preprocessor_.transform(X), dtype=np.float64)
                    for leaf in leaves
                ]
            parts = [
                leaf.values(Xt, classes, len(self.columns))
                for leaf, Xt in zip(leaves, matrices, strict=True)
            ]
        values = np.mean([p[0] for p in parts], axis=0)
        base = np.mean([p[1] for p in parts], axis=0)
        space = "log_odds" if classes is not None else "value"
        if classes is not None and len(self.bundle.classes or []) > 2:
            space = "margin"
        return [
            {
                "method": self._leaves[0].kind,
                "space": space,
                "class": None if classes is None else self._label(int(classes[i])),
                "base_value": float(base[i]),
                "output": float(base[i] + values[i].sum()),
                "additive": True,
                "contributions": dict(zip(self.columns, map(float, values[i]), strict=True)),
            }
            for i in range(len(records))
        ]

    def _occlusion(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        reference = example_record(self.bundle.schema, self.bundle.reference_statistics)
        batch = [reference, *records]
        for record in records:
            batch += [{**record, name: reference[name]} for name in self.columns]
        out = np.asarray(self.output(batch))
        n, k = len(records), len(self.columns)
        classes = None
        if self.bundle.task.is_classification:
            classes = np.argmax(out[1 : n + 1], axis=1)
        result = []
        for i in range(n):
            occluded = out[1 + n + i * k : 1 + n + (i + 1) * k]
            if classes is None:
                here, base, masked = float(out[1 + i]), float(out[0]), occluded
            else:
                c = int(classes[i])
                here, base, masked = float(out[1 + i, c]), float(out[0, c]), occluded[:, c]
            result.append(
                {
                    "method": "occlusion",
                    "space": "probability" if classes is not None else "value",
                    "class": None if classes is None else self._label(int(classes[i])),
                    "base_value": base,
                    "output": here,
                    "additive": False,
                    "contributions": {
                        name: here - float(masked[j]) for j, name in enumerate(self.columns)
                    },
                }
            )
        return result
