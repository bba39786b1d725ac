"""Build one ONNX graph from a loaded bundle: raw columns in, labels/probabilities out.

Walks tunelab's model tree: ``WeightedEnsemble`` (weighted sum of members), ``FoldBag``
(mean), ``TabularModel`` (coercion + preprocessing by :mod:`_onnx_steps`, then the
estimator converted by skl2onnx / onnxmltools and merged in). Anything else raises
:class:`Unsupported` naming the step.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from tunelab.bundles._bundle import Bundle
from tunelab.bundles._onnx_graph import ML_OPSET, OPSET, GraphBuilder, Unsupported
from tunelab.bundles._onnx_steps import DOUBLE, convert_step
from tunelab.entities import ColumnKind

FLOAT = 1
STRING = 8
TEXT_KINDS = (ColumnKind.CATEGORICAL, ColumnKind.ID, ColumnKind.BOOLEAN)
_REGISTERED = threading.Lock()
_done = False


def input_kinds(bundle: Bundle) -> dict[str, ColumnKind]:
    """The ONNX inputs: one per feature column, in the bundle's order."""
    kinds = {c.name: ColumnKind(c.kind) for c in bundle.schema}
    out: dict[str, ColumnKind] = {}
    for name in bundle.feature_columns:
        kind = kinds[name]
        if kind in (ColumnKind.DATETIME, ColumnKind.TEXT):
            raise Unsupported(
                f"column {name!r} is {kind.value}: its step (DatetimeExpander/TextFeatures) "
                "has no ONNX converter; only number, category and boolean columns export"
            )
        out[name] = kind
    return out


def build_model(bundle: Bundle) -> Any:
    """The ONNX ModelProto of ``bundle``'s model (raises Unsupported naming the step)."""
    from onnx import checker, helper

    if not (bundle.task.is_classification or bundle.task.value == "regression"):
        raise Unsupported(f"a {bundle.task.value} model cannot be exported to ONNX")
    kinds = input_kinds(bundle)
    walker = _Walker(bundle, kinds)
    out = walker.walk(bundle.model, "model")
    g = walker.g
    outputs = []
    if bundle.task.is_classification:
        classes = list(bundle.classes or [])
        table, elem = _class_table(classes)
        codes = g.op("ArgMax", [out], axis=1, keepdims=0)
        g.nodes.append(helper.make_node("Gather", [g.const(table), codes], ["label"], axis=0))
        g.nodes.append(helper.make_node("Identity", [out], ["probabilities"]))
        outputs = [
            helper.make_tensor_value_info("label", elem, [None]),
            helper.make_tensor_value_info("probabilities", DOUBLE, [None, len(classes)]),
        ]
    else:
        flat = g.const(np.asarray([-1], dtype=np.int64))
        g.nodes.append(helper.make_node("Reshape", [out, flat], ["prediction"]))
        outputs = [helper.make_tensor_value_info("prediction", DOUBLE, [None])]
    inputs = [
        helper.make_tensor_value_info(name, STRING if kind in TEXT_KINDS else DOUBLE, [None, 1])
        for name, kind in kinds.items()
    ]
    graph = helper.make_graph(g.nodes, "tunelab", inputs, outputs, g.initializers)
    opsets = {"": OPSET, "ai.onnx.ml": ML_OPSET, **walker.opsets}
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid(d, v) for d, v in sorted(opsets.items())],
        producer_name="tunelab",
    )
    model.ir_version = min(model.ir_version, 10)
    checker.check_model(model)
    return model


def _spellings(token: str) -> list[str]:
    """``token`` in every mix of upper and lower case (tokens are a few letters long)."""
    from itertools import product

    options = [sorted({ch.lower(), ch.upper()}) for ch in token]
    return sorted({"".join(p) for p in product(*options)})


def _class_table(classes: list[Any]) -> tuple[np.ndarray, int]:
    if all(isinstance(c, bool) or not isinstance(c, int | float) for c in classes):
        return np.asarray([str(c) for c in classes], dtype=object), STRING
    if all(isinstance(c, int) for c in classes):
        return np.asarray(classes, dtype=np.int64), 7
    return np.asarray(classes, dtype=np.float64), DOUBLE


class _Walker:
    def __init__(self, bundle: Bundle, kinds: dict[str, ColumnKind]) -> None:
        self.g = GraphBuilder()
        self.kinds = kinds
        self.n_classes = len(bundle.classes or []) if bundle.task.is_classification else 0
        self.opsets: dict[str, int] = {}
        self._booleans: dict[tuple[str, tuple[str, ...], tuple[str, ...]], str] = {}
        self._leaves = 0

    def walk(self, model: Any, path: str) -> str:
        """Probabilities ``[N, k]`` (classification) or values ``[N, 1]``, as double."""
        name = type(model).__name__
        g = self.g
        if name == "WeightedEnsemble":
            parts = []
            for i, (member, weight) in enumerate(zip(model.members_, model.weights_, strict=True)):
                out = self.walk(member, f"{path}/member{i}")
                parts.append(g.op("Mul", [out, g.const(np.asarray(float(weight)))]))
            return parts[0] if len(parts) == 1 else g.op("Sum", parts)
        if name == "FoldBag":
            parts = [self.walk(est, f"{path}/fold{i}") for i, est in enumerate(model.estimators_)]
            total = parts[0] if len(parts) == 1 else g.op("Sum", parts)
            return g.op("Div", [total, g.const(np.asarray(float(len(parts))))])
        if name == "TabularModel":
            return self._tabular(model, path)
        raise Unsupported(f"step {path!r} ({name}) has no ONNX converter")

    # -- one TabularModel ------------------------------------------------------------
    def _tabular(self, model: Any, path: str) -> str:
        steps = list(model.preprocessor_.steps)
        coerce_name, coercer = steps[0]
        if type(coercer).__name__ != "FrameCoercer":
            raise Unsupported(f"step {path}/preprocessor/{coerce_name!r} is not a FrameCoercer")
        coerced = {name: self._input(name, coercer) for name in coercer.columns}
        x: str | None = None
        for step_name, step in steps[1:]:
            where = f"{path}/preprocessor/{step_name}"
            if type(step).__name__ == "ColumnTransformer":
                x = self._columns(step, coerced, where)
            elif x is None:
                raise Unsupported(f"step {where!r} comes before the column transformer")
            else:
                x = convert_step(self.g, step, x, False, where)
        if x is None:
            raise Unsupported(f"step {path!r} has no column transformer")
        return self._estimator(model.estimator_, x, f"{path}/estimator")

    def _input(self, name: str, coercer: Any) -> tuple[str, bool]:
        """The coerced tensor of input column ``name`` and whether it holds strings."""
        kind = self.kinds.get(name)
        if kind is None:
            raise Unsupported(f"column {name!r} used by the model is not a bundle input")
        if kind is ColumnKind.NUMERIC:
            return name, False
        if kind is not ColumnKind.BOOLEAN:
            return name, True
        true_tokens, false_tokens = coercer.boolean_maps_[name]
        key = (name, tuple(true_tokens), tuple(false_tokens))
        if key not in self._booleans:
            # every upper/lower-case spelling of each token (no locale-dependent op)
            keys: list[str] = []
            values: list[float] = []
            for tokens, value in ((true_tokens, 1.0), (false_tokens, 0.0)):
                for token in tokens:
                    for spelling in _spellings(token):
                        keys.append(spelling)
                        values.append(value)
            index = self.g.op(
                "LabelEncoder",
                [name],
                domain="ai.onnx.ml",
                keys_strings=keys,
                values_int64s=list(range(len(keys))),
                default_int64=len(keys),
            )
            table = self.g.const(np.asarray([*values, np.nan], dtype=np.float64))
            self._booleans[key] = self.g.op("Gather", [table, index], axis=0)
        return self._booleans[key], False

    def _columns(self, transformer: Any, coerced: dict[str, tuple[str, bool]], path: str) -> str:
        g = self.g
        blocks = []
        for name, step, columns in transformer.transformers_:
            if isinstance(step, str) and step == "drop":
                continue
            cols = list(columns)
            if not cols:
                continue
            if not all(isinstance(c, str) for c in cols):
                raise Unsupported(f"step {path}/{name!r} selects columns by position")
            tensors = [coerced[c] for c in cols]
            text = {t for _, t in tensors}
            if len(text) > 1:
                raise Unsupported(f"step {path}/{name!r} mixes category and number columns")
            x = g.concat([t for t, _ in tensors])
            blocks.append(convert_step(g, step, x, text.pop(), f"{path}/{name}"))
        if not blocks:
            raise Unsupported(f"step {path!r} outputs no column")
        return g.concat(blocks)

    # -- the estimator ---------------------------------------------------------------
    def _estimator(self, est: Any, x: str, path: str) -> str:
        g = self.g
        name = type(est).__name__
        if name == "ThreadLimited":
            return self._estimator(est.estimator_, x, path)
        if name == "TransformedTargetRegressor":
            scaler = est.transformer_
            if type(scaler).__name__ != "StandardScaler":
                raise Unsupported(
                    f"step {path!r} transforms the target with {type(scaler).__name__}"
                )
            value = self._estimator(est.regressor_, x, f"{path}/regressor")
            if getattr(scaler, "scale_", None) is not None:
                value = g.op("Mul", [value, g.const(np.asarray(scaler.scale_).reshape(1, -1))])
            if getattr(scaler, "mean_", None) is not None:
                value = g.op("Add", [value, g.const(np.asarray(scaler.mean_).reshape(1, -1))])
            return value
        classifier = self.n_classes > 0
        if classifier:
            classes = np.asarray(getattr(est, "classes_", []))
            if len(classes) != self.n_classes or not np.array_equal(
                classes.astype(np.int64), np.arange(self.n_classes)
            ):
                raise Unsupported(
                    f"step {path!r} ({name}) saw {len(classes)} of {self.n_classes} classes"
                )
        if name in ("CatBoostClassifier", "CatBoostRegressor"):
            sub = _catboost_model(est, path)
        else:
            n_features = int(getattr(est, "n_features_in_", 0))
            sub = _convert_estimator(est, n_features, classifier, path)
        self._leaves += 1
        prefix = f"leaf{self._leaves}_"
        from onnx import compose

        sub = compose.add_prefix(sub, prefix)
        inner_input = sub.graph.input[0].name
        xf = g.cast(x, FLOAT)
        for node in sub.graph.node:
            node.input[:] = [xf if n == inner_input else n for n in node.input]
            g.nodes.append(node)
        g.initializers.extend(sub.graph.initializer)
        for opset in sub.opset_import:
            if opset.domain not in ("", "ai.onnx.ml"):
                self.opsets[opset.domain] = opset.version
        outputs = [o.name for o in sub.graph.output]
        wanted = [o for o in outputs if o.endswith("probabilities")] if classifier else outputs
        if not wanted:
            raise Unsupported(f"step {path!r} ({name}) gives no probabilities in ONNX")
        value = g.cast(wanted[0], DOUBLE)
        if not classifier:
            value = g.op("Reshape", [value, g.const(np.asarray([-1, 1], dtype=np.int64))])
        return value


def _register_converters() -> None:
    """Teach skl2onnx LightGBM and XGBoost (onnxmltools' converters), once."""
    global _done
    with _REGISTERED:
        if _done:
            return
        from skl2onnx import update_registered_converter
        from skl2onnx.common.shape_calculator import (
            calculate_linear_classifier_output_shapes,
            calculate_linear_regressor_output_shapes,
        )

        options = {"nocl": [True, False], "zipmap": [True, False, "columns"]}
        try:
            from lightgbm import LGBMClassifier, LGBMRegressor
            from onnxmltools.convert.lightgbm.operator_converters.LightGbm import (
                convert_lightgbm,
            )

            update_registered_converter(
                LGBMClassifier,
                "LightGbmLGBMClassifier",
                calculate_linear_classifier_output_shapes,
                convert_lightgbm,
                options=options,
            )
            update_registered_converter(
                LGBMRegressor,
                "LightGbmLGBMRegressor",
                calculate_linear_regressor_output_shapes,
                convert_lightgbm,
                options={"split": None},
            )
        except ImportError:
            pass
        try:
            from onnxmltools.convert.xgboost.operator_converters.XGBoost import convert_xgboost
            from xgboost import XGBClassifier, XGBRegressor

            update_registered_converter(
                XGBClassifier,
                "XGBoostXGBClassifier",
                calculate_linear_classifier_output_shapes,
                convert_xgboost,
                options=options,
            )
            update_registered_converter(
                XGBRegressor,
                "XGBoostXGBRegressor",
                calculate_linear_regressor_output_shapes,
                convert_xgboost,
            )
        except ImportError:
            pass
        _done = True


def _catboost_model(est: Any, path: str) -> Any:
    """CatBoost's own ONNX export, its ZipMap removed (probabilities stay a tensor)."""
    import tempfile
    from pathlib import Path

    import onnx

    with tempfile.TemporaryDirectory(prefix="tunelab-catboost-") as tmp:
        file = Path(tmp) / "model.onnx"
        try:
            est.save_model(str(file), format="onnx")
        except Exception as exc:  # catboost refuses e.g. categorical features
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise Unsupported(f"step {path!r} ({type(est).__name__}): {reason}") from None
        model = onnx.load(str(file))
    graph = model.graph
    for node in list(graph.node):
        if node.op_type == "ZipMap":
            tensor = node.input[0]
            graph.node.remove(node)
            for out in list(graph.output):
                if out.name in node.output:
                    graph.output.remove(out)
            graph.output.append(onnx.helper.make_tensor_value_info("probabilities", FLOAT, None))
            graph.node.append(onnx.helper.make_node("Identity", [tensor], ["probabilities"]))
    return model


def _convert_estimator(est: Any, n_features: int, classifier: bool, path: str) -> Any:
    _register_converters()
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType

    name = type(est).__name__
    options = {id(est): {"zipmap": False}} if classifier else None
    try:
        return convert_sklearn(
            est,
            initial_types=[("X", FloatTensorType([None, n_features or None]))],
            target_opset={"": OPSET, "ai.onnx.ml": ML_OPSET},
            options=options,
        )
    except Exception as exc:  # skl2onnx raises many kinds for a model it cannot convert
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise Unsupported(f"step {path!r} ({name}) has no ONNX converter: {reason}") from None
