"""MLflow's scoring protocol (``mlflow models serve``): ``POST /serve/{name}/invocations``
with ``dataframe_split``, ``dataframe_records``, ``instances`` or ``inputs`` JSON, or
``text/csv``; the answer is ``{"predictions": [...]}`` (labels for classifiers, numbers for
regressors, as an MLflow sklearn model answers). Errors as MLflow gives them:
``{"error_code": "BAD_REQUEST", "message": ...}`` with 400, and 415 (plain text) for an
unsupported content type."""

import io
import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel

from tunelab import __version__
from tunelab.entities.errors import TunelabError
from tunelab.entities.platform import NotFoundError
from tunelab.server.deployments import serving
from tunelab.server.errors import FieldError
from tunelab.server.protocols.records import (
    ProtocolError,
    check_size,
    clean,
    from_columns,
    from_rows,
)


class MlflowError(BaseModel):
    """An MLflow scoring server error answer."""

    error_code: str
    message: str


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": MlflowError, "description": "Bad request (BAD_REQUEST)"},
    401: {"description": "Missing or wrong bearer token"},
    404: {"model": MlflowError, "description": "No deployment (RESOURCE_DOES_NOT_EXIST)"},
    413: {"model": MlflowError, "description": "Request too large"},
    415: {
        "description": "Unsupported content type or charset",
        "content": {"text/plain": {"schema": {"type": "string"}}},
    },
}
health_router = APIRouter(prefix="/serve", tags=["mlflow scoring"])
router = APIRouter(prefix="/serve", tags=["mlflow scoring"], responses=ERRORS)

FORMATS = ("dataframe_split", "dataframe_records", "instances", "inputs")
CONTENT_TYPES = ("text/csv", "application/json")
REQUIRED = (
    "The input must be a JSON dictionary with exactly one of the input fields "
    "{'dataframe_split', 'dataframe_records', 'instances', 'inputs'}"
)


def bad_request(message: str, code: str = "BAD_REQUEST", status: int = 400) -> JSONResponse:
    return JSONResponse({"error_code": code, "message": message}, status_code=status)


@health_router.get("/{name}/ping", response_class=PlainTextResponse)
@health_router.get("/{name}/health", response_class=PlainTextResponse)
async def ping(name: str) -> PlainTextResponse:
    return PlainTextResponse("\n")


@health_router.get("/{name}/version", response_class=PlainTextResponse)
async def version(name: str) -> PlainTextResponse:
    return PlainTextResponse(__version__)


def parse_json(text: str, columns: list[str]) -> list[dict[str, Any]]:
    """Records from an MLflow JSON body (``columns``: the model's, for positional rows)."""
    try:
        body = json.loads(text)
    except ValueError as exc:
        message = f"Ensure that input is a valid JSON formatted string. Error: {exc}"
        raise ProtocolError(message) from exc
    if isinstance(body, list):
        raise ProtocolError(f"{REQUIRED}. Received a list.")
    if not isinstance(body, dict):
        raise ProtocolError(f"{REQUIRED}. Received unexpected input type '{type(body).__name__}'.")
    found = [key for key in FORMATS if key in body]
    if len(found) != 1:
        raise ProtocolError(f"{REQUIRED}. Received dictionary with input fields: {list(body)}")
    key = found[0]
    data = body[key]
    if key == "dataframe_split":
        if not isinstance(data, dict) or not isinstance(data.get("data"), list):
            raise ProtocolError("dataframe_split must be an object with 'columns' and 'data'")
        names = data.get("columns", columns)
        if not isinstance(names, list):
            raise ProtocolError("dataframe_split.columns must be a list of column names")
        return from_rows(data["data"], [str(c) for c in names], "dataframe_split.data")
    if key == "dataframe_records":
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise ProtocolError("dataframe_records must be a list of objects (column -> value)")
        return from_rows(data, columns, key)
    if isinstance(data, dict):  # columnar: {"col": [values]}
        if not all(isinstance(v, list) for v in data.values()):
            raise ProtocolError(f"{key}: give each column a list of values")
        return from_columns({str(k): v for k, v in data.items()}, key)
    if isinstance(data, list):
        return from_rows(data, columns, key)
    raise ProtocolError(f"{key} must be a list of rows or an object of columns")


def parse_csv(text: str) -> list[dict[str, Any]]:
    import pandas as pd

    try:
        frame = pd.read_csv(io.StringIO(text))
    except Exception as exc:
        raise ProtocolError(
            "Failed to parse input as a Pandas DataFrame. Ensure that the input is a valid "
            f"CSV-formatted Pandas DataFrame produced using the `pandas.DataFrame.to_csv()` "
            f"method. Error: '{exc}'"
        ) from exc
    return [
        {str(k): clean(v.item() if hasattr(v, "item") else v) for k, v in row.items()}
        for row in frame.to_dict(orient="records")
    ]


@router.post("/{name}/invocations")
async def invocations(name: str, request: Request) -> Any:
    """Predict as ``mlflow models serve`` does: ``{"predictions": [...]}``."""
    state = request.app.state
    content_type = request.headers.get("content-type", "")
    mime, *params = [part.strip() for part in content_type.split(";")]
    charset = dict(p.partition("=")[::2] for p in params).get("charset", "utf-8").lower()
    if charset != "utf-8":
        return PlainTextResponse("The scoring server only supports UTF-8", status_code=415)
    if mime not in CONTENT_TYPES:
        return PlainTextResponse(
            "This predictor only supports the following content types: "
            f"Types: {list(CONTENT_TYPES)}. Got '{content_type}'.",
            status_code=415,
        )
    try:
        deployment_id = serving.deployment_named(state.store, name, state.traffic)
        plan = await serving.plan_of(state.traffic, deployment_id)
        text = (await request.body()).decode("utf-8")
        columns = [c.name for c in plan.routes[0].predictor.bundle.schema]
        records = parse_csv(text) if mime == "text/csv" else parse_json(text, columns)
        found = await serving.answer(
            state, deployment_id, check_size(records), key=request.headers.get("x-request-key")
        )
    except NotFoundError as exc:
        return bad_request(str(exc), "RESOURCE_DOES_NOT_EXIST", 404)
    except ProtocolError as exc:
        return bad_request(str(exc))
    except UnicodeDecodeError:
        return bad_request("the request body is not UTF-8")
    except FieldError as exc:
        detail = exc.errors[0]
        column = detail["loc"][-1]
        return bad_request(f"Failed to predict: column {column!r}: {detail['msg']}")
    except TunelabError as exc:
        return bad_request(f"Failed to predict: {exc}")
    return JSONResponse({"predictions": found.out["predictions"]})
