"""Per-prediction explanations: contributions of each ORIGINAL input column.

- Tree models (LightGBM, XGBoost, CatBoost, sklearn forests) -> ``shap.TreeExplainer``;
  linear models (``coef_``) -> ``shap.LinearExplainer`` against a background drawn from the
  manifest's reference statistics. SHAP runs on the final estimator with the transformed row;
  the values of the transformed features are summed back to the input column each one comes
  from (a one-hot block sums to its column). Fold bags average their members' values. The
  values are additive: ``base_value + sum(contributions) == output`` where ``output`` is the
  model's raw score (log-odds of the explained class for classifiers, the value for regression;
  for a fold bag the mean of its members' raw scores).
- Weighted ensembles (and nested bags) whose every leaf is a tree or linear model -> each
  leaf's SHAP values are moved into probability space (``explain_link``: exact for forests,
  rescaled for log-odds leaves) and summed with the leaf's weight in the ensemble, so
  ``base_value + sum(contributions) == output`` == the ensemble's probability of the
  explained class (regression: values, exact). ``method: "ensemble_shap"``.
- Anything else (stacked ensembles, kNN, SVM, ensembles with such members...) -> sampled
  Shapley values on the model's probability or value (``explain_sampling``), also additive.
- ``method="lime"`` (any model): a LIME-style local surrogate (``explain_sampling.lime``).
"""

import logging
import threading
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from tunelab.server.deployments import explain_link, explain_sampling
from tunelab.server.deployments.fastpath import _differs, _probe_records, _structure
from tunelab.server.deployments.reference import CATEGORY_KINDS, example_record

logger = logging.getLogger(__name__)

OutputFn = Callable[[list[dict[str, Any]]], np.ndarray]
_FAST_ROWS = 256  # above this the vectorized preprocessors are as fast as the plan's loop
_TREE_MODULES = ("lightgbm", "xgboost", "catboost", "sklearn.ensemble._forest")
# the trees shap can explain by their paths (``approximate=True``); CatBoost cannot
_PATH_EXPLAINABLE = ("sklearn.ensemble._forest",)
_BACKGROUND_ROWS = 16  # background records (and column orders) of sampled Shapley and LIME
METHODS = ("shap", "lime")
# Above this, a forest inside an ensemble is explained by its tree paths (Saabas), which
# costs O(trees x depth) per row instead of exact TreeSHAP's O(trees x leaves x depth²).
_TREE_SHAP_MS = 5.0


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


def _shap_contributions(
    explainer: Any, approximate: bool = False, tree: bool = False
) -> Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]:
    # trees: no additivity check (it predicts with the whole forest again; the values are
    # checked against the model once, when an ensemble's explainer is built)
    options: dict[str, bool] = {"check_additivity": False} if tree else {}
    if approximate:
        options["approximate"] = True

    def contributions(Xt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        raw = np.asarray(explainer.shap_values(Xt, **options), dtype=np.float64)
        return raw, np.atleast_1d(np.asarray(explainer.expected_value, dtype=np.float64))

    return contributions


def _too_slow(contributions: Any, X: pd.DataFrame, leaf: Any) -> bool:
    """Does exact TreeSHAP of one row cost more than ``_TREE_SHAP_MS`` (deep forests)?"""
    Xt = np.asarray(leaf.preprocessor_.transform(X), dtype=np.float64)
    started = time.perf_counter()
    contributions(Xt)
    return (time.perf_counter() - started) * 1000.0 > _TREE_SHAP_MS


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
        self.link: str | None = None  # "identity"/"logit" once checked (ensemble leaves)
        self.weight = 1.0  # the leaf's weight in the ensemble's average
        self._owner_matrix: np.ndarray | None = None

    def _columns(self, raw: np.ndarray, n_columns: int) -> np.ndarray:
        """Values of transformed features summed to the input column each comes from."""
        if self._owner_matrix is None or self._owner_matrix.shape[1] != n_columns:
            matrix = np.zeros((len(self.owners), n_columns))
            for k, owner in enumerate(self.owners):
                if owner >= 0:
                    matrix[k, owner] = 1.0
            self._owner_matrix = matrix
        return np.asarray(raw @ self._owner_matrix)

    def check_link(self, Xt: np.ndarray, X: pd.DataFrame, classification: bool) -> bool:
        """Find (and keep) the link between this leaf's values and its own output on the
        validated rows ``X``; False when the values do not reproduce it."""
        raw, expected = self.contributions(Xt)
        if classification:
            proba = np.asarray(self.leaf.predict_proba(X), dtype=np.float64)
            self.link = explain_link.find_link(raw, expected, proba)
            return self.link is not None
        _, f, _ = explain_link.scores(raw, expected)
        value = np.asarray(self.leaf.predict(X), dtype=np.float64)
        self.link = "identity"
        return f.shape[1] == 1 and bool(np.allclose(f[:, 0], value, atol=1e-6, rtol=1e-9))

    def output_values(
        self, Xt: np.ndarray, class_index: np.ndarray | None, n_columns: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Values (n, n_columns), base (n,) and output (n,) in the ensemble's output space:
        the probability of ``class_index`` (ensemble class numbers), or the value."""
        raw, expected = self.contributions(Xt)
        if class_index is None:
            raw3, f, b = explain_link.scores(raw, expected)
            return self._columns(raw3[:, :, 0], n_columns), np.full(len(Xt), b[0]), f[:, 0]
        leaf_classes = np.asarray(self.leaf.classes_)
        local = np.searchsorted(leaf_classes, class_index).clip(0, len(leaf_classes) - 1)
        present = leaf_classes[local] == class_index  # a class this leaf never saw: p = 0
        assert self.link is not None
        phi, p0, p = explain_link.in_probability_space(raw, expected, self.link, local)
        phi, p0, p = phi * present[:, None], p0 * present, p * present
        return self._columns(phi, n_columns), p0, p

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
        return self._columns(raw, n_columns), base


class Explainer:
    """Explains records of one bundle; built lazily, safe to share between threads."""

    def __init__(self, bundle: Any, output: OutputFn, plan: Any = None) -> None:
        self.bundle = bundle
        self.output = output
        self.plan = plan  # the verified FastPlan: its per-leaf transforms skip pandas/sklearn
        self.columns = [c.name for c in bundle.schema]
        self._leaves: list[_LeafExplainer] | None = None
        self._ensemble = False  # leaves combined by weight in probability (value) space
        self._background_records: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._ready = False

    def prepare(self) -> None:
        with self._lock:
            if self._ready:
                return
            self._background_records = _background(self.bundle, n=_BACKGROUND_ROWS, seed=1)
            try:
                self._leaves = self._shap_leaves()
            except Exception:  # a member SHAP cannot explain: the model-agnostic method
                logger.warning("per-member SHAP unavailable; sampled Shapley", exc_info=True)
                self._leaves = None
            self._ready = True

    def _shap_leaves(self) -> list[_LeafExplainer] | None:
        leaves: list[Any] = []
        root = _structure(self.bundle.model, leaves)
        if root is None or not leaves:
            return None
        bag = root is not leaves[0]
        self._ensemble = bag and (
            hasattr(self.bundle.model, "members_") or len(root.children) != len(leaves)
        )  # weighted ensembles and nested bags: leaves combined in the output space
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

                    tree = shap.TreeExplainer(est)
                    contributions = _shap_contributions(tree, tree=True)
                    kind = "tree_shap"
                    slow = self._ensemble and type(est).__module__.startswith(_PATH_EXPLAINABLE)
                    if slow and _too_slow(contributions, X.iloc[:1], leaf):
                        contributions = _shap_contributions(tree, approximate=True, tree=True)
                        kind = "tree_path"  # Saabas: additive, not Shapley values
                elif hasattr(est, "coef_"):
                    import shap

                    bg = np.asarray(leaf.preprocessor_.transform(background), dtype=np.float64)
                    masker = shap.maskers.Independent(bg)
                    contributions = _shap_contributions(shap.LinearExplainer(est, masker))
                    kind = "linear_shap"
                else:
                    return None
                made = _LeafExplainer(leaf, owners, contributions, kind)
                if self._ensemble:
                    check = pd.concat([X.iloc[:8], background.iloc[:8]], ignore_index=True)
                    checked = np.asarray(leaf.preprocessor_.transform(check), dtype=np.float64)
                    if not made.check_link(checked, check, self.bundle.task.is_classification):
                        return None  # values that do not give the leaf's output: sampling
                out.append(made)
            if self._ensemble:
                for made, weight in zip(out, explain_link.leaf_weights(root), strict=True):
                    made.weight = weight
        return out

    def explain(self, records: list[dict[str, Any]], method: str = "shap") -> list[dict[str, Any]]:
        """One explanation per record (see the module docstring for the methods)."""
        self.prepare()
        if method == "lime":
            return self._lime(records)
        if self._leaves and self._ensemble:
            return self._ensemble_shap(records)
        if self._leaves:
            return self._shap(records)
        return self._sampled(records)

    def _target_classes(self, records: list[dict[str, Any]]) -> np.ndarray | None:
        """Class explained per row: the positive class (binary) or the predicted one."""
        if not self.bundle.task.is_classification:
            return None
        if len(self.bundle.classes or []) == 2:
            return np.ones(len(records), dtype=int)
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

    def _matrices(self, records: list[dict[str, Any]]) -> list[np.ndarray]:
        assert self._leaves is not None
        matrices = self._fast_matrices(records)
        if matrices is None:
            X = self.bundle.validate(pd.DataFrame.from_records(records))
            matrices = [
                np.asarray(leaf.leaf.preprocessor_.transform(X), dtype=np.float64)
                for leaf in self._leaves
            ]
        return matrices

    def _ensemble_shap(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Each leaf's values in the ensemble's output space, summed by the leaf's weight."""
        assert self._leaves is not None
        classes = self._target_classes(records)
        n, k = len(records), len(self.columns)
        values, base, output = np.zeros((n, k)), np.zeros(n), np.zeros(n)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for leaf, Xt in zip(self._leaves, self._matrices(records), strict=True):
                v, b, o = leaf.output_values(Xt, classes, k)
                values += leaf.weight * v
                base += leaf.weight * b
                output += leaf.weight * o
        found = self._answers(
            "ensemble_shap",
            "probability" if classes is not None else "value",
            classes,
            values,
            base,
            output,
        )
        if any(leaf.kind == "tree_path" for leaf in self._leaves):
            for e in found:
                e["approximate"] = True  # some forests by their tree paths (see docs)
        return found

    def _sampled(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        classes = self._target_classes(records)
        values, base, output = explain_sampling.sampled_shapley(
            records, self.columns, self._background_records, self.output, classes
        )
        space = "probability" if classes is not None else "value"
        return self._answers("sampled_shapley", space, classes, values, base, output)

    def _answers(
        self,
        method: str,
        space: str,
        classes: np.ndarray | None,
        values: np.ndarray,
        base: np.ndarray,
        output: np.ndarray,
    ) -> list[dict[str, Any]]:
        return [
            {
                "method": method,
                "space": space,
                "class": None if classes is None else self._label(int(classes[i])),
                "base_value": float(base[i]),
                "output": float(output[i]),
                "additive": True,
                "contributions": dict(zip(self.columns, map(float, values[i]), strict=True)),
            }
            for i in range(len(values))
        ]

    def _lime(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        classes = self._target_classes(records)
        result = []
        for i, record in enumerate(records):
            c = None if classes is None else int(classes[i])
            found = explain_sampling.lime(
                record, self.columns, self._background_records, self.output, c
            )
            result.append(
                {
                    "method": "lime",
                    "space": "probability" if c is not None else "value",
                    "class": self._label(c),
                    "base_value": found["base_value"],
                    "output": found["output"],
                    "surrogate_output": found["surrogate_output"],
                    "fidelity": found["fidelity"],
                    "samples": found["samples"],
                    "additive": False,
                    "contributions": dict(
                        zip(self.columns, map(float, found["contributions"]), strict=True)
                    ),
                }
            )
        return result
