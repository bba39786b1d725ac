"""ONNX converters of the preprocessing steps a tunelab ``TabularModel`` is made of.

Every converter takes the builder, the fitted step, the name of its input tensor (double
``[N, c]`` for numbers, string ``[N, c]`` for categories, where ``""`` is a missing
category) and the step's path (for messages), and returns its output tensor (double).
Categorical encoders become exact lookup tables: each column's table is read back from
the fitted encoder itself (one row per seen category, one for a missing value, one for an
unseen value), so one-hot, ordinal and target encoding match it bit for bit.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from tunelab.bundles._onnx_graph import GraphBuilder, Unsupported

DOUBLE = 11  # onnx.TensorProto.DOUBLE
INT64 = 7
BOOL = 9
_UNSEEN = "\x00tunelab-unseen\x00"


def convert_step(g: GraphBuilder, step: Any, x: str, is_text: bool, path: str) -> str:
    """The output tensor of ``step`` applied to ``x``; Unsupported names ``path``."""
    if isinstance(step, str):
        if step == "passthrough":
            return x
        raise Unsupported(f"step {path!r} ({step!r}) cannot be converted to ONNX")
    name = type(step).__name__
    if name == "Pipeline":
        for sub_name, sub in step.steps:
            if sub is None or sub == "passthrough":
                continue
            x = convert_step(g, sub, x, is_text, f"{path}/{sub_name}")
            is_text = is_text and _keeps_text(sub)
        return x
    if name == "SimpleImputer":
        return _imputer(g, step, x, is_text)
    if name == "CategoricalEncoder":
        return _categorical(g, step, x)
    if name == "FunctionTransformer" and step.func is None:
        return x
    if is_text:
        raise Unsupported(
            f"step {path!r} ({name}) receives categories; only imputation and "
            "CategoricalEncoder can convert them to ONNX"
        )
    converter = _NUMERIC.get(name)
    if converter is None and hasattr(step, "get_support") and hasattr(step, "transform"):
        converter = _selector
    if converter is None:
        raise Unsupported(f"step {path!r} ({name}) has no ONNX converter")
    return converter(g, step, x, path)


def _keeps_text(step: Any) -> bool:
    return type(step).__name__ == "SimpleImputer"


def _imputer(g: GraphBuilder, step: Any, x: str, is_text: bool) -> str:
    stats = np.asarray(step.statistics_)
    if not is_text:
        return g.where_nan(x, stats.astype(np.float64))
    fill = g.const(np.asarray([str(v) for v in stats], dtype=object).reshape(1, -1))
    empty = g.op(
        "LabelEncoder",
        [x],
        domain="ai.onnx.ml",
        keys_strings=[""],
        values_int64s=[1],
        default_int64=0,
    )
    return g.op("Where", [g.cast(empty, BOOL), fill, x])


def _row(values: Any) -> np.ndarray:
    return np.asarray(values, dtype=np.float64).reshape(1, -1)


def _standard(g: GraphBuilder, step: Any, x: str, path: str) -> str:
    if getattr(step, "mean_", None) is not None and step.with_mean:
        x = g.op("Sub", [x, g.const(_row(step.mean_))])
    if getattr(step, "scale_", None) is not None and step.with_std:
        x = g.op("Div", [x, g.const(_row(step.scale_))])
    return x


def _minmax(g: GraphBuilder, step: Any, x: str, path: str) -> str:
    if step.clip:
        raise Unsupported(f"step {path!r} (MinMaxScaler with clip=True) has no ONNX converter")
    x = g.op("Mul", [x, g.const(_row(step.scale_))])
    return g.op("Add", [x, g.const(_row(step.min_))])


def _robust(g: GraphBuilder, step: Any, x: str, path: str) -> str:
    if step.center_ is not None:
        x = g.op("Sub", [x, g.const(_row(step.center_))])
    if step.scale_ is not None:
        x = g.op("Div", [x, g.const(_row(step.scale_))])
    return x


def _normalizer(g: GraphBuilder, step: Any, x: str, path: str) -> str:
    axes = g.const(np.asarray([1], dtype=np.int64))
    if step.norm == "l2":
        norm = g.op("Sqrt", [g.op("ReduceSum", [g.op("Mul", [x, x]), axes], keepdims=1)])
    elif step.norm == "l1":
        norm = g.op("ReduceSum", [g.op("Abs", [x]), axes], keepdims=1)
    else:
        norm = g.op("ReduceMax", [g.op("Abs", [x])], axes=[1], keepdims=1)
    zero = g.op("Equal", [norm, g.const(np.asarray([[0.0]]))])
    norm = g.op("Where", [zero, g.const(np.asarray([[1.0]])), norm])
    return g.op("Div", [x, norm])


def _missing_indicator(g: GraphBuilder, step: Any, x: str, path: str) -> str:
    picked = g.columns(x, [int(i) for i in step.features_])
    return g.cast(g.op("IsNaN", [picked]), DOUBLE)


def _selector(g: GraphBuilder, step: Any, x: str, path: str) -> str:
    keep = np.flatnonzero(np.asarray(step.get_support()))
    return g.columns(x, [int(i) for i in keep])


def _numeric_transform(g: GraphBuilder, step: Any, x: str, path: str) -> str:
    method = step.method
    if method in ("box_cox", "yeo_johnson"):
        return _power(g, step, x, path)
    if method not in ("log", "sqrt", "square"):
        raise Unsupported(
            f"step {path!r} (NumericTransform method={method!r}) has no ONNX converter; "
            "log, sqrt, square, box_cox and yeo_johnson have one"
        )
    if method in ("log", "sqrt"):
        shifted = g.op("Add", [x, g.const(_row(step.shift_))])
        x = g.op("Max", [shifted, g.const(_row(step.lower_))])
        nan = g.op("IsNaN", [shifted])
        x = g.op("Where", [nan, shifted, x])  # Max of NaN is not NaN everywhere: keep it
    if method == "log":
        out = g.op("Log", [g.op("Add", [x, g.const(np.asarray([[1.0]]))])])
    elif method == "sqrt":
        out = g.op("Sqrt", [x])
    else:
        clipped = g.op("Clip", [x, g.const(np.asarray(-1e6)), g.const(np.asarray(1e6))])
        out = g.op("Mul", [clipped, clipped])
    return g.op("Clip", [out, g.const(np.asarray(-1e12)), g.const(np.asarray(1e12))])


def _power(g: GraphBuilder, step: Any, x: str, path: str) -> str:
    """Box-Cox (after the learned shift) or Yeo-Johnson with the fitted PowerTransformer's
    lambdas, then its standardisation, on the varying columns; constant columns pass."""
    power = step.power_
    if step.method == "box_cox":
        shifted = g.op("Add", [x, g.const(_row(step.shift_))])
        kept = g.op("Max", [shifted, g.const(_row(step.lower_))])
        x = g.op("Where", [g.op("IsNaN", [shifted]), shifted, kept])
    if power is None:
        return _clip(g, x)
    varying = np.asarray(step.varying_, dtype=bool)
    lam = np.ones(len(varying))
    lam[varying] = np.asarray(power.lambdas_, dtype=np.float64)
    eps = np.spacing(1.0)
    one = g.const(np.asarray([[1.0]]))
    if step.method == "box_cox":
        out = _power_branch(g, x, lam, np.abs(lam) < eps, one)
    else:
        nonneg = g.op("GreaterOrEqual", [x, g.const(np.asarray([[0.0]]))])
        pos = _power_branch(g, g.op("Add", [x, one]), lam, np.abs(lam) < eps, one)
        minus_x_plus_1 = g.op("Sub", [one, x])
        neg = _power_branch(g, minus_x_plus_1, 2.0 - lam, np.abs(lam - 2.0) < eps, one)
        out = g.op("Where", [nonneg, pos, g.op("Neg", [neg])])
    scaler = getattr(power, "_scaler", None)
    if power.standardize and scaler is not None:
        mean, scale = np.zeros(len(varying)), np.ones(len(varying))
        mean[varying], scale[varying] = scaler.mean_, scaler.scale_
        out = g.op("Div", [g.op("Sub", [out, g.const(_row(mean))]), g.const(_row(scale))])
    if not varying.all():
        out = g.op("Where", [g.const(varying.reshape(1, -1)), out, x])
    return _clip(g, out)


def _power_branch(
    g: GraphBuilder, base: str, lam: np.ndarray, is_log: np.ndarray, one: str
) -> str:
    """``(base ** lam - 1) / lam`` per column, ``log(base)`` where ``lam`` is 0."""
    safe = np.where(is_log, 1.0, lam)
    powered = g.op("Pow", [base, g.const(_row(safe))])
    ratio = g.op("Div", [g.op("Sub", [powered, one]), g.const(_row(safe))])
    if not is_log.any():
        return ratio
    return g.op("Where", [g.const(is_log.reshape(1, -1)), g.op("Log", [base]), ratio])


def _polynomial(g: GraphBuilder, step: Any, x: str, path: str) -> str:
    """CappedPolynomial: the input, then the degree-2 products of the chosen columns in
    PolynomialFeatures' order (``powers_`` after the degree-1 rows)."""
    columns = [int(i) for i in step.columns_]
    powers = np.asarray(step.poly_.powers_)[len(columns) :]
    left, right = [], []
    for row in powers:
        picked = [i for i, p in enumerate(row) for _ in range(int(p))]
        if len(picked) != 2:
            raise Unsupported(f"step {path!r} (CappedPolynomial) has a term of degree != 2")
        left.append(columns[picked[0]])
        right.append(columns[picked[1]])
    if not left:
        return x
    products = g.op("Mul", [g.columns(x, left), g.columns(x, right)])
    return g.concat([x, products])


def _clip(g: GraphBuilder, x: str) -> str:
    """As NumericTransform: +-1e12 at most (inf too), NaN stays NaN."""
    return g.op("Clip", [x, g.const(np.asarray(-1e12)), g.const(np.asarray(1e12))])


_NUMERIC = {
    "StandardScaler": _standard,
    "MinMaxScaler": _minmax,
    "RobustScaler": _robust,
    "Normalizer": _normalizer,
    "MissingIndicator": _missing_indicator,
    "NumericTransform": _numeric_transform,
    "CappedPolynomial": _polynomial,
}


def _categorical(g: GraphBuilder, encoder: Any, x: str) -> str:
    """One lookup table per column, read back from the fitted encoder."""
    names = list(encoder.feature_names_in_)
    widths = _widths(encoder)
    order = [i for method in ("onehot", "ordinal", "target") for i in encoder.plan_[method]]
    blocks: list[str] = []
    offset = 0
    for i in order:
        width = widths[i]
        keys, table = _table(encoder, names, i, slice(offset, offset + width))
        offset += width
        column = g.columns(x, [i])
        index = g.op(
            "LabelEncoder",
            [column],
            domain="ai.onnx.ml",
            keys_strings=keys,
            values_int64s=list(range(len(keys))),
            default_int64=len(table) - 1,  # the unseen row
        )
        flat = g.op("Reshape", [index, g.const(np.asarray([-1], dtype=np.int64))])
        blocks.append(g.op("Gather", [g.const(table), flat], axis=0))
    if not blocks:
        raise Unsupported("a CategoricalEncoder with no column cannot be converted to ONNX")
    return g.concat(blocks)


def _widths(encoder: Any) -> dict[int, int]:
    widths: dict[int, int] = {}
    if encoder.onehot_ is not None:
        outs = encoder.onehot_._n_features_outs
        for i, width in zip(encoder.plan_["onehot"], outs, strict=True):
            widths[i] = int(width)
    for i in encoder.plan_["ordinal"]:
        widths[i] = 1
    if encoder.target_ is not None:
        per = len(encoder.target_.classes_) if encoder.target_.target_type_ == "multiclass" else 1
        for i in encoder.plan_["target"]:
            widths[i] = per
    return widths


def _table(encoder: Any, names: list[str], i: int, block: slice) -> tuple[list[str], np.ndarray]:
    """Keys (seen categories, then ``""`` for missing) and the output rows of column ``i``:
    one per key, then one for an unseen value."""
    seen = _seen_categories(encoder, i)
    keys = [c for c in seen if c != ""] + [""]
    values: list[Any] = [*keys[:-1], np.nan, _UNSEEN]
    frame = pd.DataFrame(
        {n: [values[0] if values[0] is not np.nan else _UNSEEN] * len(values) for n in names}
    )
    frame[names[i]] = pd.Series(values, dtype=object)
    out = np.asarray(encoder.transform(frame), dtype=np.float64)[:, block]
    return keys, np.ascontiguousarray(out)


def _seen_categories(encoder: Any, i: int) -> list[str]:
    for method, inner in (
        ("onehot", encoder.onehot_),
        ("ordinal", encoder.ordinal_),
        ("target", encoder.target_),
    ):
        if inner is not None and i in encoder.plan_[method]:
            cats = inner.categories_[encoder.plan_[method].index(i)]
            return [str(c) for c in cats if not (isinstance(c, float) and np.isnan(c))]
    return []
