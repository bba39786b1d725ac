"""Where a page's time goes: the same app in-process (FastAPI TestClient on the same home),
counting SQL statements and their time per request, with an optional cProfile top list."""

from __future__ import annotations

import cProfile
import io
import pstats
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


@contextmanager
def _sql_counter(engine: Any) -> Iterator[dict[str, Any]]:
    """Counts statements on ``engine`` and sums their execution time (ms)."""
    from sqlalchemy import event

    stats: dict[str, Any] = {"queries": 0, "sql_ms": 0.0, "connects": 0}
    starts: list[float] = []

    def before(*_args: Any) -> None:
        starts.append(time.perf_counter())

    def after(*_args: Any) -> None:
        stats["queries"] += 1
        stats["sql_ms"] += (time.perf_counter() - starts.pop()) * 1000

    def connect(*_args: Any) -> None:
        stats["connects"] += 1

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    event.listen(engine, "connect", connect)
    try:
        yield stats
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
        event.remove(engine, "connect", connect)


def breakdown(
    home: Path, paths: list[str], *, repeat: int = 5, profile: tuple[str, ...] = ()
) -> dict[str, dict[str, Any]]:
    """Per path: median in-process time, SQL statements, SQL time, new DB connections per
    request; for paths in ``profile`` also the cProfile top 14 by own time."""
    from fastapi.testclient import TestClient

    from tunelab.server import ServerSettings, create_app

    app = create_app(ServerSettings(home=home, workers=0))
    out: dict[str, dict[str, Any]] = {}
    with TestClient(app) as client:
        engine = app.state.store.engine
        for path in paths:
            client.get(path)  # warm caches, as the HTTP benchmark does
            runs = []
            for _ in range(repeat):
                with _sql_counter(engine) as stats:
                    started = time.perf_counter()
                    status = client.get(path).status_code
                    stats["total_ms"] = (time.perf_counter() - started) * 1000
                runs.append({**stats, "status": status})
            runs.sort(key=lambda r: r["total_ms"])
            middle = runs[len(runs) // 2]
            out[path] = {k: round(v, 1) if isinstance(v, float) else v for k, v in middle.items()}
            if path in profile:
                out[path]["top"] = _profile(app, path)
    return out


async def _inline(func: Any, *args: Any, **kwargs: Any) -> Any:
    return func(*args, **kwargs)


def _profile(app: Any, path: str) -> str:
    """cProfile of one request with every thread-pool hop run inline on this thread (the
    page's work normally runs in a worker thread, invisible to cProfile)."""
    import asyncio
    import sys
    from unittest import mock

    import httpx

    targets = [
        name
        for name, module in list(sys.modules.items())
        if (name.startswith(("tunelab.server", "fastapi")) or name == "starlette.concurrency")
        and getattr(module, "run_in_threadpool", None) is not None
    ]

    async def call() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            await client.get(path)  # warm, inline
            profiler.enable()
            await client.get(path)
            profiler.disable()

    profiler = cProfile.Profile()
    patches = [mock.patch(f"{name}.run_in_threadpool", _inline) for name in targets]
    for patch in patches:
        patch.start()
    try:
        asyncio.run(call())
    finally:
        for patch in patches:
            patch.stop()
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(14)
    body = text.getvalue().splitlines()
    at = next((i for i, line in enumerate(body) if "ncalls" in line), 0)
    return "\n".join(line.replace(str(Path.cwd()) + "/", "") for line in body[at:] if line)
