"""Export a bundle as one ONNX graph, checked against the bundle before it is written.

The graph takes the raw columns, one ``[N, 1]`` input per feature column: numbers as
double (missing = NaN), categories and booleans as strings (missing = ``""``; booleans
as the tokens the model learned, any case). It outputs ``label`` and ``probabilities``
(classification) or ``prediction`` (regression). :func:`onnx_inputs` builds that feed
from a DataFrame exactly as the bundle would read it.

Before the file is written its predictions are compared with the bundle's on held-back
rows (given, or drawn from the bundle's reference statistics): the largest probability
difference must be at most ``1e-4`` and at least 99.9% of labels identical (regression:
difference at most ``1e-4`` of the largest prediction, at least 1). Otherwise, or when a
step has no converter, :class:`~tunelab.entities.ExportError` names the step or figure
and nothing is written.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tunelab.bundles._bundle import Bundle, load_bundle
from tunelab.bundles._onnx_build import TEXT_KINDS, build_model, input_kinds
from tunelab.bundles._onnx_graph import Unsupported
from tunelab.entities import ColumnKind, ExportError

MAX_PROBA_DIFF = 1e-4
MIN_LABEL_AGREEMENT = 0.999
PARITY_ROWS = 2000
_UNSEEN = "__tunelab_unseen__"


@dataclass(frozen=True)
class OnnxExport:
    """What :func:`export_onnx` wrote and how closely it matches the bundle."""

    path: str
    size_bytes: int
    rows_checked: int
    rows_source: str
    max_difference: float
    label_agreement: float | None
    inputs: list[dict[str, str]] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    quantized: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def onnx_inputs(bundle: Bundle, frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """The ONNX feed for ``frame``: each feature column coerced as the bundle reads it."""
    from tunelab.preprocessing._coerce import to_category, to_float

    data = bundle.validate(frame)
    feed: dict[str, np.ndarray] = {}
    for name, kind in input_kinds(bundle).items():
        if kind in TEXT_KINDS:
            values = to_category(data[name])
            values[pd.isna(values)] = ""
            feed[name] = values.astype(object).reshape(-1, 1)
        else:
            feed[name] = to_float(data[name]).reshape(-1, 1)
    return feed


def sample_rows(bundle: Bundle, n_rows: int = PARITY_ROWS, seed: int = 0) -> pd.DataFrame:
    """Rows drawn from the bundle's reference statistics (histograms, category frequencies,
    missing ratios), with a few unseen categories: a stand-in for held-back rows."""
    rng = np.random.default_rng(seed)
    stats = bundle.reference_statistics
    data: dict[str, Any] = {}
    for col in bundle.schema:
        if col.name not in bundle.feature_columns:
            continue
        info = stats.get(col.name) or {}
        kind = ColumnKind(col.kind)
        if kind is ColumnKind.NUMERIC:
            values: Any = _numbers(info, n_rows, rng)
        else:
            unseen = kind in (ColumnKind.CATEGORICAL, ColumnKind.ID)
            values = _categories(info, col.categories, n_rows, rng, unseen)
        missing = rng.random(n_rows) < float(info.get("missing_ratio") or 0.0)
        values = pd.Series(values, dtype=object if kind is not ColumnKind.NUMERIC else float)
        values[missing] = np.nan if kind is ColumnKind.NUMERIC else None
        data[col.name] = values
    return pd.DataFrame(data)


def _numbers(info: dict[str, Any], n: int, rng: np.random.Generator) -> np.ndarray:
    hist = info.get("histogram") or {}
    edges = np.asarray(hist.get("edges") or [0.0, 1.0], dtype=float)
    counts = np.asarray(hist.get("counts") or [1], dtype=float)
    if edges.size < 2 or counts.sum() <= 0:
        return rng.normal(size=n)
    bins = rng.choice(len(counts), size=n, p=counts / counts.sum())
    return rng.uniform(edges[bins], edges[bins + 1])


def _categories(
    info: dict[str, Any], categories: Any, n: int, rng: np.random.Generator, unseen: bool
) -> np.ndarray:
    freqs = info.get("frequencies") or {}
    if freqs:
        labels = [*freqs, *([_UNSEEN] if unseen else [])]
        other = [max(0.01, info.get("other_frequency") or 0.0)] if unseen else []
        weights = np.asarray([*freqs.values(), *other])
    else:
        labels = [str(c) for c in (categories or [])] or [_UNSEEN]
        weights = np.ones(len(labels))
    return np.asarray(labels, dtype=object)[rng.choice(len(labels), n, p=weights / weights.sum())]


def compare(bundle: Bundle, session: Any, rows: pd.DataFrame) -> tuple[float, float | None]:
    """(largest difference, label agreement) of the ONNX session against the bundle."""
    outputs = session.run(None, onnx_inputs(bundle, rows))
    names = [o.name for o in session.get_outputs()]
    got = dict(zip(names, outputs, strict=True))
    if bundle.task.is_classification:
        native = bundle.predict_proba(rows).to_numpy()
        diff = float(np.max(np.abs(got["probabilities"] - native))) if len(rows) else 0.0
        labels = np.asarray(bundle.predict(rows)).astype(str)
        agreement = float(np.mean(np.asarray(got["label"]).astype(str) == labels))
        return diff, agreement
    values = bundle.predict(rows)
    diff = float(np.max(np.abs(got["prediction"] - values))) if len(rows) else 0.0
    return diff / max(1.0, float(np.max(np.abs(values))) if len(rows) else 1.0), None


def export_onnx(
    bundle_path: str | Path,
    out: str | Path,
    *,
    rows: pd.DataFrame | None = None,
    n_rows: int = PARITY_ROWS,
    seed: int = 0,
    quantize: bool = False,
) -> OnnxExport:
    """Convert the bundle at ``bundle_path`` to the ONNX file ``out`` (see module docs).

    Args:
        rows: held-back rows to check parity on (the bundle's feature columns); default
            ``n_rows`` rows drawn from the bundle's reference statistics.
        quantize: write the ONNX dynamic int8 quantisation of the (parity-checked) graph's
            matrix products instead (pays for MLP and linear models); ``quantized`` in the
            result reports the size before/after, its difference and label agreement with
            the bundle, and, when ``rows`` hold the target column, the score of both graphs.
    Raises:
        ExportError: a step has no converter (named), or parity fails (figures given).
    """
    import onnxruntime as ort

    bundle = load_bundle(bundle_path)
    try:
        model = build_model(bundle)
    except Unsupported as exc:
        raise ExportError(f"cannot export to ONNX: {exc}") from None
    data = model.SerializeToString()
    session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    source = "given rows" if rows is not None else "rows drawn from the reference statistics"
    check = rows if rows is not None else sample_rows(bundle, n_rows, seed)
    diff, agreement = compare(bundle, session, check)
    what = "probability" if bundle.task.is_classification else "relative prediction"
    if not diff <= MAX_PROBA_DIFF:
        raise ExportError(
            f"ONNX export refused: largest {what} difference {diff:.3g} on {len(check)} "
            f"{source} exceeds {MAX_PROBA_DIFF:g}"
        )
    if agreement is not None and agreement < MIN_LABEL_AGREEMENT:
        raise ExportError(
            f"ONNX export refused: labels agree on {agreement:.2%} of {len(check)} {source} "
            f"(at least {MIN_LABEL_AGREEMENT:.1%} needed)"
        )
    quantized = None
    if quantize:
        data, quantized = _quantize(bundle, data, check)
    target = Path(out)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return OnnxExport(
        path=str(target),
        size_bytes=len(data),
        rows_checked=len(check),
        rows_source=source,
        max_difference=diff,
        label_agreement=agreement,
        inputs=[
            {"name": name, "type": "string" if kind in TEXT_KINDS else "double"}
            for name, kind in input_kinds(bundle).items()
        ],
        outputs=[o.name for o in session.get_outputs()],
        quantized=quantized,
    )


def _quantize(bundle: Bundle, data: bytes, rows: pd.DataFrame) -> tuple[bytes, dict[str, Any]]:
    """The graph with int8 weights for its MatMul nodes, and what that changed."""
    import onnx
    import onnxruntime as ort
    from onnxruntime.quantization import QuantType, quantize_dynamic

    model = onnx.load_from_string(data)
    if not any(node.op_type in ("MatMul", "Gemm") for node in model.graph.node):
        raise ExportError(
            "nothing to quantise: the graph has no matrix product (quantisation pays for MLP "
            "and linear models, not for trees)"
        )
    with tempfile.TemporaryDirectory(prefix="tunelab-quant-") as tmp:
        source, dest = Path(tmp) / "float.onnx", Path(tmp) / "int8.onnx"
        source.write_bytes(data)
        quantize_dynamic(
            source, dest, weight_type=QuantType.QInt8, op_types_to_quantize=["MatMul", "Gemm"]
        )
        small = dest.read_bytes()
    float_session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    session = ort.InferenceSession(small, providers=["CPUExecutionProvider"])
    diff, agreement = compare(bundle, session, rows)
    report: dict[str, Any] = {
        "size_bytes_before": len(data),
        "size_bytes_after": len(small),
        "max_difference": diff,
        "label_agreement": agreement,
    }
    target = bundle.manifest.get("target")
    if target and target in rows.columns:
        report["score_before"] = _score(bundle, float_session, rows, target)
        report["score_after"] = _score(bundle, session, rows, target)
        report["score"] = "accuracy" if bundle.task.is_classification else "r2"
    return small, report


def _score(bundle: Bundle, session: Any, rows: pd.DataFrame, target: str) -> float:
    names = [o.name for o in session.get_outputs()]
    got = dict(zip(names, session.run(None, onnx_inputs(bundle, rows)), strict=True))
    truth = rows[target].to_numpy()
    if bundle.task.is_classification:
        return float(np.mean(np.asarray(got["label"]).astype(str) == truth.astype(str)))
    pred = np.asarray(got["prediction"], dtype=float)
    truth = truth.astype(float)
    total = float(np.sum((truth - truth.mean()) ** 2)) or 1.0
    return 1.0 - float(np.sum((truth - pred) ** 2)) / total
