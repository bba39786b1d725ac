"""A fast prediction path for small requests, learned from the model and verified against it.

The generic path (DataFrame -> schema validation -> sklearn preprocessing -> model) costs
milliseconds per fitted preprocessor, mostly pandas and sklearn overhead that does not depend on
the number of rows. For models made of ``TabularModel`` leaves (``preprocessor_`` +
``estimator_``), possibly bagged (``estimators_``) or weighted (``members_`` + ``weights_``),
this module learns each preprocessor as per-column functions by probing it once:

- a categorical/boolean column -> a lookup table from each known value to its output block;
- a numeric column -> an affine map ``a * x + b`` per output, plus the output for a missing value.

Each transformed output must depend on one input column at most; anything else (projections,
non-linear transforms, datetimes, text) means no fast plan. The whole plan is then checked
end to end against the real model on mixed random records; any mismatch means no fast plan.
At request time a value the plan has not seen (an unseen category, a string for a number) is
mapped column by column: the leaf's real preprocessor transforms the plan's base record with
only that value changed, and the outputs of that column are taken from it (remembered for the
next request, up to ``MAX_LEARNED`` values per leaf). Only when that value changes an output
owned by another column, or the preprocessing refuses it (a schema error), does
:meth:`FastPlan.predict` return None and the caller use the generic path (which then reports
the error), so answers are always the real model's.
"""

import logging
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from tunelab.bundles import ColumnSchema
from tunelab.server.deployments.reference import (
    CATEGORY_KINDS,
    category_probes,
    example_record,
    numeric_probes,
)

log = logging.getLogger(__name__)
MAX_FAST_RECORDS = 256  # the ensemble benchmark: 21 ms here vs 58 ms generic at 256 rows
LEARN_PER_CALL = 4  # unseen values one call may learn per leaf (each costs a real transform)
_MISS = object()
_RTOL, _ATOL = 1e-7, 1e-9
MAX_LEARNED = 4096  # values one leaf remembers beyond its plan (unseen categories...)


class _Miss(Exception):
    """A request value the plan cannot map (the generic path handles the request)."""


@dataclass
class _Leaf:
    """One fitted preprocessor as per-column maps, plus its estimator's fast predict."""

    width: int
    constant: np.ndarray
    numeric: list[tuple[str, np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = field(
        default_factory=list
    )  # (column, output indexes, slope, intercept, output for a missing value)
    tables: list[tuple[str, np.ndarray, dict[Any, np.ndarray]]] = field(default_factory=list)
    predict: Callable[[np.ndarray], np.ndarray] | None = None
    classes: np.ndarray | None = None
    # the real preprocessing of one record (validation + preprocessor) and the base record
    real: Callable[[dict[str, Any]], np.ndarray] | None = None
    base: dict[str, Any] = field(default_factory=dict)
    learned: dict[tuple[str, str, Any], np.ndarray | None] = field(default_factory=dict)

    def transform(
        self, records: Sequence[dict[str, Any]], learn: int = LEARN_PER_CALL
    ) -> np.ndarray:
        """The preprocessed matrix of ``records``, column by column (raises _Miss).

        At most ``learn`` values the plan does not know yet are learned by the real
        preprocessor in this call (0: only values already learned are used)."""
        n = len(records)
        budget = [learn]
        out = np.tile(self.constant, (n, 1))
        for name, idx, slope, intercept, missing in self.numeric:
            x = np.zeros(n)
            absent: list[int] = []
            odd: list[int] = []
            for i, record in enumerate(records):
                value = record[name]
                if value is None:
                    absent.append(i)
                elif type(value) in (int, float):
                    x[i] = value
                else:
                    odd.append(i)
            out[:, idx] = np.outer(x, slope) + intercept
            if absent:
                out[np.ix_(np.asarray(absent, dtype=np.intp), idx)] = missing
            for i in odd:
                out[i, idx] = self._unseen(name, idx, records[i][name], budget)
        for name, idx, table in self.tables:
            rows: list[Any] = []
            for record in records:
                value = record[name]
                try:
                    found = table.get(value, _MISS)
                except TypeError:  # an unhashable value (list, object)
                    raise _Miss from None
                rows.append(self._unseen(name, idx, value, budget) if found is _MISS else found)
            out[:, idx] = np.vstack(rows)
        return out

    def _unseen(self, name: str, idx: np.ndarray, value: Any, budget: list[int]) -> np.ndarray:
        """Column ``name``'s outputs for a value the plan does not know, by the real
        preprocessor on the base record with only that value changed (raises _Miss when the
        value is refused or changes another column's outputs)."""
        try:
            key = (name, type(value).__name__, value)
            found = self.learned.get(key, _MISS)
        except TypeError:
            raise _Miss from None
        if found is _MISS:
            if budget[0] <= 0:
                raise _Miss
            budget[0] -= 1
            found = self._learn(name, idx, value)
            if len(self.learned) < MAX_LEARNED:
                self.learned[key] = found
        if found is None:
            raise _Miss
        assert isinstance(found, np.ndarray)
        return found

    def _learn(self, name: str, idx: np.ndarray, value: Any) -> np.ndarray | None:
        if self.real is None:
            return None
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                row = self.real({**self.base, name: value})
        except Exception:  # refused (a schema error): the generic path reports it
            return None
        others = np.ones(self.width, dtype=bool)
        others[idx] = False
        same = (row[others] == self.constant[others]) | (
            np.isnan(row[others]) & np.isnan(self.constant[others])
        )
        if not same.all():
            return None  # the value moved outputs the plan gives to other columns
        return np.array(row[idx], copy=True)


@dataclass
class _Node:
    """A bag (plain mean) or a weighted ensemble of children."""

    children: list[Any]
    weights: np.ndarray


@dataclass
class FastPlan:
    """Predicts probabilities (classification) or values (regression) for JSON records."""

    root: Any
    n_classes: int

    def predict(
        self,
        records: Sequence[dict[str, Any]],
        *,
        learn: int = LEARN_PER_CALL,
        limit: int = MAX_FAST_RECORDS,
    ) -> np.ndarray | None:
        """The model output for ``records``, or None when the generic path must answer.

        ``learn``: unseen values this call may learn per leaf (0 on the event loop: learning
        one runs the real preprocessors); ``limit``: the most records answered."""
        if len(records) > min(limit, MAX_FAST_RECORDS):
            return None
        try:
            return self._eval(self.root, records, learn)
        except _Miss:
            return None

    def transform_leaves(self, records: Sequence[dict[str, Any]]) -> list[np.ndarray] | None:
        """Each leaf's transformed matrix (in the model's leaf order), or None when a value
        is one the plan cannot map (the caller uses the preprocessors)."""
        leaves: list[_Leaf] = []
        stack = [self.root]
        while stack:  # depth first, children in order: the order ``_structure`` found them
            node = stack.pop()
            if isinstance(node, _Leaf):
                leaves.append(node)
            else:
                stack.extend(reversed(node.children))
        try:
            return [leaf.transform(records) for leaf in leaves]
        except (_Miss, KeyError):
            return None

    def _eval(self, node: Any, records: Sequence[dict[str, Any]], learn: int) -> np.ndarray:
        if isinstance(node, _Leaf):
            assert node.predict is not None
            raw = np.asarray(node.predict(node.transform(records, learn)), dtype=np.float64)
            if not self.n_classes:
                return raw.ravel()
            if raw.shape[1] == self.n_classes:
                return raw
            full = np.zeros((raw.shape[0], self.n_classes))
            full[:, np.asarray(node.classes, dtype=np.int64)] = raw
            return full
        parts = [self._eval(child, records, learn) for child in node.children]
        return np.asarray(sum(w * p for w, p in zip(node.weights, parts, strict=True)))


def _estimator_predict(est: Any, classification: bool) -> Callable[[np.ndarray], np.ndarray]:
    """The estimator's predict on a float matrix.

    LightGBM boosters are called directly on one thread: its sklearn wrapper's checks cost
    about 1 ms, and OpenMP thread start-up costs far more than a one-row prediction.
    """
    booster = (
        getattr(est, "booster_", None) if type(est).__module__.startswith("lightgbm") else None
    )
    if booster is not None:
        if classification:

            def lgbm_proba(X: np.ndarray) -> np.ndarray:
                p = np.asarray(booster.predict(X, num_threads=1))
                return p if p.ndim == 2 else np.column_stack([1.0 - p, p])

            return lgbm_proba
        return lambda X: np.asarray(booster.predict(X, num_threads=1))
    trees = getattr(est, "estimators_", None)
    if type(est).__module__.startswith("sklearn.ensemble._forest") and trees:
        # joblib's dispatch costs ~15 ms per forest on one row; a plain loop costs ~1 ms
        def forest(X: np.ndarray) -> np.ndarray:
            X32 = np.asarray(X, dtype=np.float32)
            if classification:
                total = sum(t.predict_proba(X32, check_input=False) for t in trees)
            else:
                total = sum(t.predict(X32, check_input=False) for t in trees)
            return np.asarray(total) / len(trees)

        return forest
    return est.predict_proba if classification else est.predict


def _structure(model: Any, leaves: list[Any]) -> Any:
    """The model as a tree of _Node with raw leaves (None when the shape is unknown)."""
    if hasattr(model, "preprocessor_") and hasattr(model, "estimator_"):
        leaves.append(model)
        return model
    children_src = getattr(model, "estimators_", None)
    weights = None
    if children_src is None and hasattr(model, "members_") and hasattr(model, "weights_"):
        children_src, weights = model.members_, np.asarray(model.weights_, dtype=np.float64)
    if not children_src:
        return None
    children = [_structure(child, leaves) for child in children_src]
    if any(child is None for child in children):
        return None
    if weights is None:
        weights = np.full(len(children), 1.0 / len(children))
    return _Node(children, weights)


def _probe_records(
    schema: list[ColumnSchema], stats: dict[str, Any]
) -> tuple[list[dict[str, Any]], list[tuple[str, int, int, list[Any]]]]:
    """The base record, then one block per column varying only that column."""
    base = example_record(schema, stats)
    records = [base]
    blocks = []
    for column in schema:
        if column.kind in CATEGORY_KINDS:
            values: list[Any] = [*category_probes(column), None]
        else:
            values = [*numeric_probes(stats.get(column.name)), None]
        start = len(records)
        records += [{**base, column.name: v} for v in values]
        blocks.append((column.name, start, len(records), values))
    return records, blocks


def _differs(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per output column: does any row of ``a`` differ from row ``b`` (NaN-aware)?"""
    same = np.isclose(a, b, rtol=_RTOL, atol=_ATOL, equal_nan=True)
    return ~same.all(axis=0)


def _real_row(leaf: Any, validate: Callable[[pd.DataFrame], pd.DataFrame]) -> Any:
    """One record through validation and ``leaf``'s fitted preprocessor, as a float row."""

    def real(record: dict[str, Any]) -> np.ndarray:
        X = validate(pd.DataFrame.from_records([record]))
        return np.asarray(leaf.preprocessor_.transform(X), dtype=np.float64)[0]

    return real


def _learn_leaf(
    leaf: Any,
    X: pd.DataFrame,
    schema: list[ColumnSchema],
    blocks: list[tuple[str, int, int, list[Any]]],
    n_classes: int,
) -> _Leaf | None:
    Xt = np.asarray(leaf.preprocessor_.transform(X), dtype=np.float64)
    base = Xt[0]
    kinds = {c.name: c.kind for c in schema}
    owner = np.full(Xt.shape[1], -1)
    plan = _Leaf(width=Xt.shape[1], constant=base.copy())
    for j, (name, start, stop, values) in enumerate(blocks):
        part = Xt[start:stop]
        idx = np.flatnonzero(_differs(part, base))
        if idx.size == 0:
            continue
        if (owner[idx] >= 0).any():
            return None  # an output depends on two columns
        owner[idx] = j
        if kinds[name] in CATEGORY_KINDS:
            table = {v: part[k, idx].copy() for k, v in enumerate(values)}
            plan.tables.append((name, idx, table))
            continue
        if kinds[name] != "numeric":
            return None
        x = np.array([np.nan if v is None else v for v in values], dtype=np.float64)
        present = ~np.isnan(x)
        xs, ys = x[present], part[present][:, idx]
        if not np.isfinite(ys).all():
            return None
        slope = (ys[-1] - ys[0]) / (xs[-1] - xs[0])
        intercept = ys[0] - slope * xs[0]
        fitted = np.outer(xs, slope) + intercept
        if not np.allclose(fitted, ys, rtol=1e-6, atol=1e-6):
            return None  # not affine (log, power, clipping...)
        plan.numeric.append((name, idx, slope, intercept, part[~present][0, idx].copy()))
    plan.predict = _estimator_predict(leaf.estimator_, bool(n_classes))
    plan.classes = np.asarray(getattr(leaf, "classes_", np.arange(n_classes)))
    return plan


def _build(root: Any, learned: dict[int, _Leaf]) -> Any:
    if isinstance(root, _Node):
        return _Node([_build(child, learned) for child in root.children], root.weights)
    return learned[id(root)]


def _random_records(
    blocks: list[tuple[str, int, int, list[Any]]], base: dict[str, Any], n: int, seed: int = 0
) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    records = []
    for _ in range(n):
        record = dict(base)
        for name, _start, _stop, values in blocks:
            record[name] = values[int(rng.integers(len(values)))]
        records.append(record)
    return records


def build_fast_plan(bundle: Any, reference: Callable[[list[dict[str, Any]]], np.ndarray]) -> Any:
    """A verified :class:`FastPlan` for ``bundle``, or None when its model does not allow one.

    ``reference(records)`` is the generic path's output (probabilities or values).
    """
    schema: list[ColumnSchema] = bundle.schema
    if any(c.kind not in (*CATEGORY_KINDS, "numeric") for c in schema):
        return None
    leaves: list[Any] = []
    root = _structure(bundle.model, leaves)
    if root is None:
        return None
    n_classes = len(bundle.classes or []) if bundle.task.is_classification else 0
    stats = bundle.reference_statistics
    records, blocks = _probe_records(schema, stats)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            X = bundle.validate(pd.DataFrame.from_records(records))
            learned: dict[int, _Leaf] = {}
            for leaf in leaves:
                found = _learn_leaf(leaf, X, schema, blocks, n_classes)
                if found is None:
                    return None
                found.real = _real_row(leaf, bundle.validate)
                found.base = dict(records[0])
                learned[id(leaf)] = found
            plan = FastPlan(_build(root, learned), n_classes)
            checks = [records[0], *_random_records(blocks, records[0], 48)]
            expected = np.asarray(reference(checks), dtype=np.float64)
            got = plan.predict(checks)
    except Exception:  # the model refuses probe values: no fast plan, the generic path works
        log.debug("no fast prediction plan for %s", bundle.path, exc_info=True)
        return None
    if got is None or got.shape != expected.shape:
        return None
    if not np.allclose(got, expected, rtol=1e-6, atol=1e-9, equal_nan=True):
        log.info("fast prediction plan for %s disagrees with the model; not used", bundle.path)
        return None
    return plan
