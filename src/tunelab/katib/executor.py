"""Run one trial: a local subprocess (Katib trial template) or an in-process function.

The subprocess gets its own process group (``start_new_session``), its own folder as
``cwd`` and the parent's environment (plus the container's ``env`` values and
``KATIB_TRIAL_NAME``). stdout and stderr go to ``<trial>/stdout.log``; metrics are parsed
while the trial runs so medianstop can stop it. A timeout, an early stop or the end of the
experiment kills the whole process group (SIGTERM, then SIGKILL after a grace period).
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol

from tunelab.katib.metrics import JsonParser, MetricLog, Observation, TextParser
from tunelab.katib.spec import ExperimentSpec
from tunelab.katib.template import render_trial

TIMEOUT = "timeout"
EARLY_STOPPED = "early_stopped"
CANCELLED = "cancelled"
_POLL = 0.05
_GRACE = 3.0


@dataclass
class TrialContext:
    """Everything an executor needs for one trial (``metrics`` is filled by the executor)."""

    name: str
    number: int
    assignments: dict[str, str]  # Katib string values
    values: dict[str, Any]  # typed values
    trial_dir: Path
    metrics: MetricLog
    should_stop: Callable[[], bool]
    cancel: threading.Event


@dataclass(frozen=True)
class TrialOutcome:
    exit_code: int | None
    stopped: str | None = None  # timeout | early_stopped | cancelled
    message: str = ""
    command: tuple[str, ...] = ()
    image: str = ""


class TrialExecutor(Protocol):
    def __call__(self, ctx: TrialContext) -> TrialOutcome: ...


def local_metrics_path(collector_path: str, trial_dir: Path) -> Path:
    """Where an absolute collector path (``/var/log/katib/metrics.log``) lives locally."""
    return trial_dir / collector_path.lstrip("/")


class _FileTail:
    """Reads complete new lines appended to a file since the last call."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0
        self.rest = b""

    def read_lines(self, final: bool = False) -> list[str]:
        if not self.path.is_file():
            return []
        with self.path.open("rb") as fh:
            fh.seek(self.offset)
            chunk = fh.read()
        self.offset += len(chunk)
        data = self.rest + chunk
        lines = data.split(b"\n")
        self.rest = b"" if final else lines.pop()
        return [line.decode("utf-8", "replace") for line in lines if line.strip()]


def _kill_group(proc: subprocess.Popen[str]) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            return
        try:
            proc.wait(timeout=_GRACE)
            return
        except subprocess.TimeoutExpired:
            continue


class SubprocessExecutor:
    """Runs the primary container's command of a Katib trial template locally."""

    def __init__(
        self, spec: ExperimentSpec, *, default_timeout: float | None, source_dir: Path | None
    ) -> None:
        self.spec = spec
        self.default_timeout = default_timeout
        self.source_dir = source_dir

    def _parser(self) -> TextParser | JsonParser:
        mc = self.spec.metrics_collector
        names = self.spec.objective.metric_names
        if mc.kind == "File" and mc.file_format == "JSON":
            return JsonParser(names)
        return TextParser(names, mc.regexes)

    def __call__(self, ctx: TrialContext) -> TrialOutcome:
        mc = self.spec.metrics_collector
        ctx.trial_dir.mkdir(parents=True, exist_ok=True)
        path_map: dict[str, str] = {}
        tail: _FileTail | None = None
        if mc.kind == "File" and mc.file_path:
            local = local_metrics_path(mc.file_path, ctx.trial_dir)
            local.parent.mkdir(parents=True, exist_ok=True)
            path_map[mc.file_path] = str(local)
            tail = _FileTail(local)
        cmd = render_trial(
            self.spec, ctx.name, ctx.assignments, source_dir=self.source_dir, path_map=path_map
        )
        timeout = cmd.timeout if cmd.timeout is not None else self.default_timeout
        env = {**os.environ, **cmd.env, "KATIB_TRIAL_NAME": ctx.name}
        parser = self._parser()
        log_path = ctx.trial_dir / "stdout.log"
        try:
            proc = subprocess.Popen(
                list(cmd.argv),
                cwd=ctx.trial_dir,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                text=True,
                bufsize=1,
                start_new_session=True,
            )
        except OSError as exc:
            return TrialOutcome(
                None, None, f"cannot start {cmd.argv[0]!r}: {exc}", cmd.argv, cmd.image
            )
        stdout_parser = parser if mc.kind == "StdOut" else None
        assert proc.stdout is not None
        reader = threading.Thread(
            target=_pump, args=(proc.stdout, log_path, stdout_parser, ctx.metrics), daemon=True
        )
        reader.start()
        stopped = _supervise(proc, ctx, timeout, tail, parser)
        reader.join(timeout=_GRACE)
        if tail is not None:
            ctx.metrics.add(_parse_all(parser, tail.read_lines(final=True)))
        message = {
            TIMEOUT: f"killed after the {timeout:g} s trial timeout" if timeout else "",
            EARLY_STOPPED: "stopped by medianstop",
            CANCELLED: "killed: the experiment ended",
        }.get(stopped or "", "")
        if stopped is None and proc.returncode != 0:
            message = f"exited with code {proc.returncode}; see {log_path}"
        return TrialOutcome(proc.returncode, stopped, message, cmd.argv, cmd.image)


def _parse_all(parser: TextParser | JsonParser, lines: list[str]) -> list[Observation]:
    out: list[Observation] = []
    for line in lines:
        out.extend(parser.parse(line))
    return out


def _pump(
    stream: IO[str], log_path: Path, parser: TextParser | JsonParser | None, log: MetricLog
) -> None:
    with log_path.open("w", encoding="utf-8") as out:
        for line in stream:
            out.write(line)
            out.flush()
            if parser is not None:
                log.add(parser.parse(line))
    stream.close()


def _supervise(
    proc: subprocess.Popen[str],
    ctx: TrialContext,
    timeout: float | None,
    tail: _FileTail | None,
    parser: TextParser | JsonParser,
) -> str | None:
    deadline = time.monotonic() + timeout if timeout else None
    while proc.poll() is None:
        if tail is not None:
            ctx.metrics.add(_parse_all(parser, tail.read_lines()))
        reason = None
        if ctx.cancel.is_set():
            reason = CANCELLED
        elif deadline is not None and time.monotonic() >= deadline:
            reason = TIMEOUT
        elif ctx.should_stop():
            reason = EARLY_STOPPED
        if reason is not None:
            _kill_group(proc)
            return reason
        ctx.cancel.wait(_POLL)
    return None


class FunctionExecutor:
    """Runs ``objective(params) -> float | dict`` in the calling thread (the Python API)."""

    def __init__(self, objective: Callable[[dict[str, Any]], Any], metric: str) -> None:
        self.objective = objective
        self.metric = metric

    def __call__(self, ctx: TrialContext) -> TrialOutcome:
        try:
            result = self.objective(dict(ctx.values))
        except Exception as exc:  # a failing objective is a Failed trial, as in Katib
            return TrialOutcome(1, None, f"{type(exc).__name__}: {exc}")
        values = result if isinstance(result, dict) else {self.metric: result}
        now = time.time()
        observations = []
        for name, value in values.items():
            try:
                observations.append(Observation(str(name), float(value), now))
            except (TypeError, ValueError):
                continue
        ctx.metrics.add(observations)
        return TrialOutcome(0)
