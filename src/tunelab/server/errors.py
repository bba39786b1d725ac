"""Map tunelab errors to HTTP answers: 404, 409, 413, 422 (with the field named)."""

import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from tunelab.entities.errors import ConfigError, DataError, SchemaError, TunelabError
from tunelab.entities.platform import ArtifactTooLargeError, ConflictError, NotFoundError

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


def install_error_handlers(app: FastAPI) -> None:
    async def handle(_request: Request, exc: Exception) -> JSONResponse:
        status = next(code for kind, code in _STATUS if isinstance(exc, kind))
        return JSONResponse({"detail": _detail(exc)}, status_code=status)

    app.add_exception_handler(TunelabError, handle)
