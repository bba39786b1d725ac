"""A small ONNX graph builder: unique names, constants and nodes, nothing else."""

from __future__ import annotations

from typing import Any

import numpy as np

OPSET = 17
ML_OPSET = 3


class Unsupported(Exception):
    """A part of the model has no ONNX conversion; the message names the step."""


class GraphBuilder:
    """Collects nodes and initializers; every name it hands out is unique."""

    def __init__(self) -> None:
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self._count = 0

    def name(self, hint: str) -> str:
        self._count += 1
        return f"{hint}_{self._count}"

    def const(self, value: Any, hint: str = "c", dtype: Any = None) -> str:
        from onnx import numpy_helper

        array = np.asarray(value, dtype=dtype)
        if array.dtype.kind in "OUS":
            array = np.asarray([str(v) for v in array.ravel()], dtype=object).reshape(array.shape)
        name = self.name(hint)
        self.initializers.append(numpy_helper.from_array(array, name))
        return name

    def op(
        self,
        op_type: str,
        inputs: list[str],
        hint: str | None = None,
        n_out: int = 1,
        **attrs: Any,
    ) -> Any:
        """Add one node; returns its output name (or the list of them when ``n_out > 1``)."""
        from onnx import helper

        domain = attrs.pop("domain", "")
        outputs = [self.name(hint or op_type.lower()) for _ in range(n_out)]
        self.nodes.append(
            helper.make_node(
                op_type, inputs, outputs, name=self.name(f"n_{op_type}"), domain=domain, **attrs
            )
        )
        return outputs[0] if n_out == 1 else outputs

    # shorthands used by the step converters (all on double tensors unless said)
    def cast(self, x: str, to: int) -> str:
        return self.op("Cast", [x], to=to)

    def columns(self, x: str, indices: list[int]) -> str:
        """Columns ``indices`` of the 2-D tensor ``x``."""
        return self.op("Gather", [x, self.const(np.asarray(indices, dtype=np.int64))], axis=1)

    def concat(self, parts: list[str]) -> str:
        return parts[0] if len(parts) == 1 else self.op("Concat", parts, axis=1)

    def where_nan(self, x: str, fill: Any) -> str:
        """``x`` with NaN replaced by ``fill`` (broadcast over rows)."""
        fill_name = self.const(np.asarray(fill, dtype=np.float64).reshape(1, -1))
        return self.op("Where", [self.op("IsNaN", [x]), fill_name, x])
