"""Stream a multipart upload straight into the artifact store (never whole in memory)."""

import re
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from tunelab.artifacts import ArtifactInfo, ArtifactStore, ArtifactWriter
from tunelab.entities.platform import ArtifactTooLargeError
from tunelab.server.errors import FieldError

_SAFE = re.compile(r"[^A-Za-z0-9._-]+")
_SLACK = 64 * 1024  # multipart framing around the file itself
MAX_NAME = 120  # characters of an uploaded file name kept (file systems allow 255 bytes)


@dataclass
class _Parts:
    """Parser callbacks collect actions; they are applied off the event loop."""

    field_name: str
    headers: dict[bytes, bytes] = field(default_factory=dict)
    header_field: bytes = b""
    header_value: bytes = b""
    in_file: bool = False
    seen_file: bool = False
    filename: str = ""
    actions: list[tuple[str, Any]] = field(default_factory=list)

    def callbacks(self) -> dict[str, Callable[..., None]]:
        return {
            "on_part_begin": self._begin,
            "on_header_field": lambda d, s, e: setattr(
                self, "header_field", self.header_field + d[s:e]
            ),
            "on_header_value": lambda d, s, e: setattr(
                self, "header_value", self.header_value + d[s:e]
            ),
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._data,
            "on_part_end": self._end,
        }

    def _begin(self) -> None:
        self.headers, self.in_file = {}, False

    def _header_end(self) -> None:
        self.headers[self.header_field.lower()] = self.header_value
        self.header_field, self.header_value = b"", b""

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self.headers.get(b"content-disposition", b""))
        if options.get(b"name", b"").decode() == self.field_name and not self.seen_file:
            self.in_file = self.seen_file = True
            self.filename = options.get(b"filename", b"upload").decode("utf-8", "replace")
            self.actions.append(("open", self.filename))

    def _data(self, data: bytes, start: int, end: int) -> None:
        if self.in_file:
            self.actions.append(("data", bytes(data[start:end])))

    def _end(self) -> None:
        self.in_file = False


def safe_filename(name: str) -> str:
    """The base name of an uploaded file, reduced to safe characters."""
    base = _SAFE.sub("_", PurePosixPath(name.replace("\\", "/")).name).strip("._") or "upload"
    if len(base) <= MAX_NAME:
        return base
    suffix = PurePosixPath(base).suffix[:16]
    return base[: MAX_NAME - len(suffix)].rstrip("._") + suffix


async def receive_file(
    request: Request,
    artifacts: ArtifactStore,
    *,
    key_for: Callable[[str], str],
    max_bytes: int,
    field_name: str = "file",
) -> tuple[ArtifactInfo, str]:
    """Store the multipart field ``field_name``; returns its artifact info and file name.

    Over ``max_bytes`` raises ArtifactTooLargeError (413) and nothing is kept. ``key_for``
    turns the (sanitised) file name into the artifact key; it may raise to refuse the file.
    """
    content_type, params = parse_options_header(request.headers.get("content-type"))
    if content_type != b"multipart/form-data" or b"boundary" not in params:
        raise FieldError(["body", field_name], "send multipart/form-data", "content_type")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes + _SLACK:
        raise ArtifactTooLargeError(f"upload of {declared} bytes is over the limit of {max_bytes}")
    parts = _Parts(field_name)
    parser = MultipartParser(params[b"boundary"], parts.callbacks())  # type: ignore[arg-type]
    state: dict[str, Any] = {}
    with ExitStack() as stack:

        def apply(actions: list[tuple[str, Any]]) -> None:
            for action, value in actions:
                if action == "open":
                    filename = safe_filename(value)
                    state["filename"] = filename
                    state["writer"] = stack.enter_context(
                        artifacts.writer(key_for(filename), max_bytes=max_bytes)
                    )
                else:
                    writer: ArtifactWriter = state["writer"]
                    writer.write(value)

        try:
            async for chunk in request.stream():
                parser.write(chunk)
                if parts.actions:
                    actions, parts.actions = parts.actions, []
                    await run_in_threadpool(apply, actions)
            parser.finalize()
        except MultipartParseError as exc:
            raise FieldError(
                ["body", field_name], f"malformed multipart/form-data body ({exc})", "multipart"
            ) from None
        if "writer" not in state:
            raise FieldError(["body", field_name], "field required", "missing")
        writer = state["writer"]
        if writer.size == 0:
            raise FieldError(["body", field_name], "the file is empty", "empty")
        await run_in_threadpool(stack.close)  # moves the finished file into place
    return ArtifactInfo(writer.key, writer.size, writer.sha256), state["filename"]


_BATCH = 1024 * 1024  # bytes gathered from the socket before one write off the event loop


async def receive_body(
    request: Request,
    artifacts: ArtifactStore,
    key: str,
    *,
    max_bytes: int,
    expect_size: int | None = None,
    label: str = "body",
) -> ArtifactInfo:
    """Stream a raw request body into ``key`` (at most ~1 MiB held in memory).

    More than ``max_bytes`` raises ArtifactTooLargeError (413); with ``expect_size`` a
    shorter body is a 422 naming ``label``. Either way nothing is kept under ``key``.
    """
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise ArtifactTooLargeError(f"{label}: {declared} bytes is over the limit of {max_bytes}")
    with ExitStack() as stack:
        writer = await run_in_threadpool(
            stack.enter_context, artifacts.writer(key, max_bytes=max_bytes)
        )
        pending: list[bytes] = []
        held = 0
        async for piece in request.stream():
            pending.append(piece)
            held += len(piece)
            if held >= _BATCH:
                await run_in_threadpool(writer.write, b"".join(pending))
                pending, held = [], 0
        if pending:
            await run_in_threadpool(writer.write, b"".join(pending))
        if expect_size is not None and writer.size != expect_size:
            raise FieldError(
                ["body"],
                f"{label} has {writer.size} bytes, expected {expect_size}",
                "size_mismatch",
            )
        await run_in_threadpool(stack.close)  # moves the finished file into place
    return ArtifactInfo(writer.key, writer.size, writer.sha256)
