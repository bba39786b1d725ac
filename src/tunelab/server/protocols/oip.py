"""KServe's Open Inference Protocol v2 for tabular models (``content_type: "pd"``: one input
per column), answered by a deployment's traffic like the native predict path.

Errors are ``{"error": "..."}`` with a 4xx status naming the input, as the protocol defines.
"""

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from tunelab import __version__
from tunelab.entities.errors import TunelabError
from tunelab.entities.platform import ConflictError, NotFoundError
from tunelab.server.deployments import serving
from tunelab.server.errors import FieldError
from tunelab.server.protocols.records import ProtocolError, check_size, clean


class OipError(BaseModel):
    """An Open Inference Protocol error answer."""

    error: str


def _declared(description: str) -> dict[str, Any]:
    return {"model": OipError, "description": description}


ERRORS: dict[int | str, dict[str, Any]] = {
    400: _declared("Bad request (the input is named)"),
    401: _declared("Missing or wrong bearer token"),
    404: _declared("No deployment of that name"),
    409: _declared("The deployment cannot answer now"),
    413: _declared("Request too large"),
    503: {"description": "Not ready (the model is loading)"},
}
health_router = APIRouter(prefix="/v2", tags=["open inference protocol v2"])
router = APIRouter(prefix="/v2", tags=["open inference protocol v2"], responses=ERRORS)

_NUMBER_TYPES = {
    "UINT8", "UINT16", "UINT32", "UINT64", "INT8", "INT16", "INT32", "INT64",
    "FP16", "FP32", "FP64",
}  # fmt: skip
DATATYPES = _NUMBER_TYPES | {"BOOL", "BYTES"}


def error(message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def column_datatype(column: Any) -> str:
    """The OIP datatype of a bundle's input column."""
    dtype = (column.dtype or "").lower()
    if dtype.startswith("bool"):
        return "BOOL"
    if dtype.startswith(("int", "uint")) and column.kind in ("numeric", "categorical"):
        return "INT64"
    if column.kind == "numeric":
        return "FP64"
    return "BYTES"


def predict_datatype(predictor: Any) -> str:
    """The datatype of the ``predict`` output: cluster numbers are INT64."""
    return "INT64" if getattr(predictor, "clustering", False) else label_datatype(predictor.labels)


def label_datatype(labels: list[Any] | None) -> str:
    if labels is None:
        return "FP64"
    if labels and all(isinstance(v, bool) for v in labels):
        return "BOOL"
    if labels and all(isinstance(v, int) and not isinstance(v, bool) for v in labels):
        return "INT64"
    return "BYTES"


@health_router.get("/health/live")
async def live() -> dict[str, bool]:
    return {"live": True}


@health_router.get("/health/ready")
async def ready(request: Request) -> JSONResponse:
    """Ready once the deployments loaded at start are in memory."""
    warming = request.app.state.predictors.warming
    return JSONResponse({"ready": not warming}, status_code=503 if warming else 200)


@health_router.get("")
async def server_metadata() -> dict[str, Any]:
    return {"name": "tunelab", "version": __version__, "extensions": []}


async def _plan(request: Request, name: str) -> Any:
    state = request.app.state
    deployment_id = serving.deployment_named(state.store, name, state.traffic)
    return await serving.plan_of(state.traffic, deployment_id)


@router.get("/models/{name}")
async def model_metadata(name: str, request: Request) -> JSONResponse:
    """Inputs (one per column, with datatypes) and outputs of a deployment, by name."""
    try:
        plan = await _plan(request, name)
    except NotFoundError as exc:
        return error(str(exc), 404)
    except TunelabError as exc:
        return error(str(exc), 409 if isinstance(exc, ConflictError) else 400)
    predictor = plan.routes[0].predictor
    bundle = predictor.bundle
    inputs = [
        {"name": c.name, "datatype": column_datatype(c), "shape": [-1]} for c in bundle.schema
    ]
    outputs = [{"name": "predict", "datatype": predict_datatype(predictor), "shape": [-1]}]
    if predictor.labels is not None:
        k = len(predictor.labels)
        outputs.append({"name": "predict_proba", "datatype": "FP64", "shape": [-1, k]})
    return JSONResponse(
        {
            "name": name,
            "versions": [r.label for r in plan.routes],
            "platform": "tunelab",
            "inputs": inputs,
            "outputs": outputs,
            "parameters": {"content_type": "pd", "task": bundle.task.value},
        }
    )


@router.get("/models/{name}/ready")
async def model_ready(name: str, request: Request) -> JSONResponse:
    try:
        await _plan(request, name)
    except NotFoundError as exc:
        return error(str(exc), 404)
    except TunelabError as exc:
        return JSONResponse({"name": name, "ready": False, "error": str(exc)}, status_code=503)
    return JSONResponse({"name": name, "ready": True})


def _value_fits(value: Any, datatype: str) -> bool:
    if value is None:
        return True
    if datatype == "BOOL":
        return isinstance(value, bool)
    if datatype == "BYTES":
        return isinstance(value, str)
    return isinstance(value, int | float) and not isinstance(value, bool)


def _flatten(data: Any) -> list[Any]:
    if isinstance(data, list) and any(isinstance(v, list) for v in data):
        return [v for item in data for v in _flatten(item)]
    return data if isinstance(data, list) else [data]


def parse_infer(body: Any) -> tuple[list[dict[str, Any]], list[str] | None]:
    """Records from an OIP ``pd`` request and the output names asked for (None: all)."""
    if not isinstance(body, dict):
        raise ProtocolError("the request body must be a JSON object with 'inputs'")
    content_type = (body.get("parameters") or {}).get("content_type", "pd")
    if content_type != "pd":
        raise ProtocolError(
            f"parameters.content_type {content_type!r} is not supported: send one input per "
            "column with content_type 'pd'"
        )
    inputs = body.get("inputs")
    if not isinstance(inputs, list) or not inputs:
        raise ProtocolError("'inputs' must be a non-empty list (one input per column)")
    columns: dict[str, list[Any]] = {}
    for index, item in enumerate(inputs):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise ProtocolError(f"inputs[{index}] needs a 'name'")
        name = item["name"]
        for key in ("shape", "datatype", "data"):
            if key not in item:
                raise ProtocolError(f"input {name!r} has no '{key}'")
        datatype = item["datatype"]
        if datatype not in DATATYPES:
            raise ProtocolError(f"input {name!r}: unknown datatype {datatype!r}")
        shape = item["shape"]
        if not isinstance(shape, list) or not all(isinstance(n, int) and n >= 0 for n in shape):
            raise ProtocolError(f"input {name!r}: shape must be a list of sizes")
        data = _flatten(item["data"])
        size = 1
        for n in shape:
            size *= n
        if len(shape) not in (1, 2) or (len(shape) == 2 and shape[1] != 1) or size != len(data):
            raise ProtocolError(
                f"input {name!r}: shape {shape} does not match its {len(data)} values "
                "(one column: [n] or [n, 1])"
            )
        bad = next((v for v in data if not _value_fits(v, datatype)), None)
        if bad is not None:
            raise ProtocolError(f"input {name!r}: value {bad!r} is not {datatype}")
        if name in columns:
            raise ProtocolError(f"input {name!r} is given twice")
        columns[name] = data
    lengths = {len(v) for v in columns.values()}
    if len(lengths) > 1:
        raise ProtocolError("inputs have different lengths; give every column for every row")
    wanted = body.get("outputs")
    names = None
    if wanted is not None:
        if not isinstance(wanted, list) or not all(
            isinstance(o, dict) and isinstance(o.get("name"), str) for o in wanted
        ):
            raise ProtocolError("'outputs' must be a list of {\"name\": ...}")
        names = [o["name"] for o in wanted]
    n = lengths.pop()
    records = [{c: clean(values[i]) for c, values in columns.items()} for i in range(n)]
    return check_size(records), names


def _check_columns(records: list[dict[str, Any]], fields: frozenset[str]) -> None:
    given = set(records[0])
    missing = sorted(fields - given)
    if missing:
        raise ProtocolError(f"input {missing[0]!r} is missing (the model needs every column)")
    extra = sorted(given - fields)
    if extra:
        raise ProtocolError(f"input {extra[0]!r} is not a column of the model")


@router.post("/models/{name}/infer")
async def infer(name: str, request: Request) -> JSONResponse:
    """Predict: ``predict`` (labels or values) and, for classifiers, ``predict_proba``."""
    state = request.app.state
    try:
        body = await request.json()
    except ValueError:
        return error("the request body is not valid JSON")
    try:
        records, wanted = parse_infer(body)
        plan = await _plan(request, name)
        _check_columns(records, plan.routes[0].predictor.fields)
        known = ["predict"] + (["predict_proba"] if plan.routes[0].predictor.labels else [])
        unknown = [w for w in wanted or [] if w not in known]
        if unknown:
            raise ProtocolError(
                f"output {unknown[0]!r} does not exist (known: {', '.join(known)})"
            )
        found = await serving.answer(
            state, plan.deployment_id, records, key=request.headers.get("x-request-key")
        )
    except ProtocolError as exc:
        return error(str(exc), exc.status)
    except NotFoundError as exc:
        return error(str(exc), 404)
    except FieldError as exc:
        loc = exc.errors[0]["loc"]
        return error(f"input {loc[-1]!r}: {exc.errors[0]['msg']}")
    except TunelabError as exc:  # SchemaError (a value the column cannot take), ...
        return error(str(exc), 409 if isinstance(exc, ConflictError) else 400)
    predictor = found.predictor
    n = len(records)
    outputs = [
        {
            "name": "predict",
            "datatype": predict_datatype(predictor),
            "shape": [n],
            "data": found.out["predictions"],
        }
    ]
    if predictor.labels is not None:
        classes = [str(c) for c in predictor.labels]
        flat = [row[c] for row in found.out["probabilities"] for c in classes]
        outputs.append(
            {
                "name": "predict_proba",
                "datatype": "FP64",
                "shape": [n, len(classes)],
                "parameters": {"classes": predictor.labels},
                "data": flat,
            }
        )
    if wanted is not None:
        outputs = [o for o in outputs if o["name"] in wanted]
    return JSONResponse(
        {
            "model_name": name,
            "model_version": found.model,
            "id": str(body.get("id") or uuid.uuid4()),
            "parameters": {"content_type": "pd"},
            "outputs": outputs,
        }
    )
