"""Map tunelab errors to HTTP answers: 404, 409, 413, 422 (with the field named).

Every 422 answer has FastAPI's validation shape (``detail`` = a list of ``{loc, msg, type}``),
other error answers carry ``detail`` as text (or an object for some 409). Both shapes are
declared in the OpenAPI schema (``ERROR_RESPONSES``). Unexpected exceptions answer 500 with a
plain message and a reference; the details (paths, exception class) go to the server log only.
"""

import logging
import re
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from tunelab.entities.errors import (
    ConfigError,
    DataError,
    SchemaError,
    TunelabError,
    public_message,
)
from tunelab.entities.platform import ArtifactTooLargeError, ConflictError, NotFoundError
from tunelab.entities.settings import AutoMLSettings, describe_error

log = logging.getLogger(__name__)
_COLUMN = re.compile(r"column '([^']+)'")


class FieldError(TunelabError):
    """A request field is missing, extra or of the wrong type (answered with 422)."""

    def __init__(self, loc: list[str | int], msg: str, kind: str) -> None:
        super().__init__(f"{'.'.join(map(str, loc))}: {msg}")
        self.errors = [{"loc": loc, "msg": msg, "type": kind}]


class Problem(BaseModel):
    """One invalid field: where (``loc``), what (``msg``) and a machine-readable ``type``."""

    model_config = ConfigDict(extra="allow")

    loc: list[str | int]
    msg: str
    type: str


class ValidationErrorOut(BaseModel):
    """A 422 answer: every problem found, each naming its field."""

    detail: list[Problem]


class ErrorOut(BaseModel):
    """A 4xx/5xx answer other than 422: a plain message (an object for some conflicts)."""

    detail: str | dict[str, Any]


def _json(model: type[BaseModel], description: str) -> dict[str, Any]:
    # "content" keeps JSON documented on routes whose own answers are text (snippets)
    ref = {"$ref": f"#/components/schemas/{model.__name__}"}
    return {
        "model": model,
        "description": description,
        "content": {"application/json": {"schema": ref}},
    }


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _json(ErrorOut, "Bad request"),
    401: _json(ErrorOut, "Missing or wrong bearer token"),
    403: _json(ErrorOut, "Foreign host, cross-site request or no CSRF token"),
    404: _json(ErrorOut, "Not found"),
    409: _json(ErrorOut, "Conflict with the current state"),
    413: _json(ErrorOut, "Upload too large"),
    422: _json(ValidationErrorOut, "Invalid input (the field is named)"),
}

_KINDS: tuple[tuple[type[Exception], str], ...] = (
    (DataError, "data"),
    (ConfigError, "config"),
)


def _detail(exc: Exception) -> list[dict[str, Any]] | str:
    if isinstance(exc, FieldError):
        return exc.errors
    if isinstance(exc, SchemaError):
        match = _COLUMN.search(str(exc))
        loc: list[str | int] = ["body", "records"]
        if match:
            loc.append(match.group(1))
        return [{"loc": loc, "msg": public_message(exc), "type": "schema"}]
    for kind, name in _KINDS:
        if isinstance(exc, kind):
            return [{"loc": ["body"], "msg": public_message(exc), "type": name}]
    return public_message(exc)


_STATUS: tuple[tuple[type[Exception], int], ...] = (
    (NotFoundError, 404),
    (ConflictError, 409),
    (ArtifactTooLargeError, 413),
    (FieldError, 422),
    (SchemaError, 422),
    (DataError, 422),
    (ConfigError, 422),
    (TunelabError, 400),
)


def _plain_settings_messages(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Errors of ``settings`` fields in the settings model's words (``must sum to 1``,
    ``unknown setting; known: ...``); the ``loc`` names the field either way."""
    out = []
    for item in errors:
        loc = list(item.get("loc", ()))
        if "settings" in loc[:2]:
            relative = loc[loc.index("settings") + 1 :]
            _, message = describe_error({**item, "loc": relative}, AutoMLSettings)
            item = {**item, "msg": message}
            item.pop("ctx", None)
        out.append(item)
    return out


def install_error_handlers(app: FastAPI) -> None:
    async def handle(_request: Request, exc: Exception) -> JSONResponse:
        status = next(code for kind, code in _STATUS if isinstance(exc, kind))
        return JSONResponse({"detail": _detail(exc)}, status_code=status)

    async def invalid(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        details = _plain_settings_messages([dict(e) for e in exc.errors()])
        return JSONResponse({"detail": jsonable_encoder(details)}, status_code=422)

    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        reference = uuid.uuid4().hex[:12]
        log.error(
            "unexpected error %s in %s %s",
            reference,
            request.method,
            request.url.path,
            exc_info=exc,
        )
        message = f"internal error (reference {reference} in the server log)"
        return JSONResponse({"detail": message}, status_code=500)

    app.add_exception_handler(TunelabError, handle)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(Exception, unexpected)
