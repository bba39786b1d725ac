"""Run one child process with a hard time limit while sampling its tree's memory."""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

POLL_SECONDS = 0.2


@dataclass(frozen=True)
class ProcessResult:
    """Exit code, wall time and peak memory (summed PSS) of a monitored child process tree."""

    returncode: int
    wall_seconds: float
    peak_mb: float
    timed_out: bool
    # the parent process alone and its descendants alone (each its own peak), MB of PSS
    peak_parent_mb: float = 0.0
    peak_children_mb: float = 0.0
    max_children: int = 0


def _member_memory(member: psutil.Process) -> int:
    """Proportional set size (shared pages split among their sharers), RSS where unavailable.

    Summing RSS over a process tree counts every page shared copy-on-write by forked children
    once per child; PSS counts it once in total, so trees of forked workers and single
    multi-threaded processes are measured alike.
    """
    try:
        return int(member.memory_full_info().pss)
    except (AttributeError, psutil.AccessDenied):
        return int(member.memory_info().rss)


def tree_split(proc: psutil.Process) -> tuple[int, int, int]:
    """Memory (bytes, PSS) of ``proc`` itself, of all its descendants, and their count, now."""
    try:
        children = proc.children(recursive=True)
    except psutil.NoSuchProcess:
        return 0, 0, 0
    parent = kids = 0
    with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
        parent = _member_memory(proc)
    for member in children:
        try:
            kids += _member_memory(member)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return parent, kids, len(children)


def tree_rss(proc: psutil.Process) -> int:
    """Summed memory (bytes, PSS) of ``proc`` and all its descendants, now."""
    parent, kids, _ = tree_split(proc)
    return parent + kids


def _kill_tree(popen: subprocess.Popen[bytes], proc: psutil.Process) -> None:
    """Kill the descendants, then the child itself (reaped by Popen to keep its status)."""
    try:
        children = proc.children(recursive=True)
    except psutil.NoSuchProcess:
        children = []
    for member in children:
        try:
            member.kill()
        except psutil.NoSuchProcess:
            continue
    popen.kill()
    psutil.wait_procs(children, timeout=10)


def run_monitored(
    cmd: list[str],
    *,
    timeout: float,
    log_path: Path,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> ProcessResult:
    """Run ``cmd``; stdout+stderr go to ``log_path``; the tree is killed after ``timeout`` s.

    Memory is the sum of RSS over the process and all its children, polled every 0.2 s,
    so it covers worker processes and subprocess-per-trial designs alike.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        start = time.perf_counter()
        popen = subprocess.Popen(
            cmd, stdout=log, stderr=subprocess.STDOUT, env=env or dict(os.environ), cwd=cwd
        )
        proc = psutil.Process(popen.pid)
        peak = peak_parent = peak_kids = max_kids = 0
        timed_out = False
        while popen.poll() is None:
            parent, kids, n_kids = tree_split(proc)
            peak = max(peak, parent + kids)
            peak_parent, peak_kids = max(peak_parent, parent), max(peak_kids, kids)
            max_kids = max(max_kids, n_kids)
            if time.perf_counter() - start > timeout:
                timed_out = True
                _kill_tree(popen, proc)
                break
            time.sleep(POLL_SECONDS)
        returncode = popen.wait()
        wall = time.perf_counter() - start
    return ProcessResult(
        returncode,
        wall,
        peak / 2**20,
        timed_out,
        peak_parent / 2**20,
        peak_kids / 2**20,
        max_kids,
    )
