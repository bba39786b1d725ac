"""Map tunelab errors to HTTP answers: 404, 409, 413, 422 (with the field named)."""

import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from tunelab.entities.errors import ConfigError, DataError, SchemaError, TunelabError
from tunelab.entities.platform import ArtifactTooLargeError, ConflictError, NotFoundError
from tunelab.entities.settings import AutoMLSettings, describe_error

_COLUMN = re.compile(r"column '([^']+)'")


class FieldError(TunelabError):
    """A request field is missing, extra or of the wrong type (answered with 422)."""

    def __init__(self, loc: list[str | int], msg: str, kind: str) -> None:
        super().__init__(f"{'.'.join(map(str, loc))}: {msg}")
        self.errors = [{"loc": loc, "msg": msg, "type": kind}]


def _detail(exc: Exception) -> list[dict[str, Any]] | str:
    if isinstance(exc, FieldError):
        return exc.errors
    if isinstance(exc, SchemaError):
        match = _COLUMN.search(str(exc))
        loc: list[str | int] = ["body", "records"]
        if match:
            loc.append(match.group(1))
        return [{"loc": loc, "msg": str(exc), "type": "schema"}]
    return str(exc)


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

    app.add_exception_handler(TunelabError, handle)
    app.add_exception_handler(RequestValidationError, invalid)
