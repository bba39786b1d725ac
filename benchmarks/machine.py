"""Facts about the machine a benchmark ran on, for the results page."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import time
from pathlib import Path

import psutil


def cpu_model() -> str:
    """CPU model name from /proc/cpuinfo (Linux), else platform.processor()."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text(errors="replace").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def machine_info() -> dict[str, str | int | float]:
    """CPU model, logical cores, RAM (GiB), OS and Python version."""
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count() or 0,
        "ram_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "os": f"{platform.system()} {platform.release()} ({platform.platform()})",
        "python": platform.python_version(),
    }


def load_average() -> list[float]:
    """1, 5 and 15 minute load averages (0s where the OS has none)."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return [0.0, 0.0, 0.0]


def help_seconds(command: list[str], runs: int = 5) -> dict[str, float | str]:
    """Median wall time of ``command`` (e.g. ``tunelab --help``) over ``runs`` runs.

    Uses hyperfine when installed, else time.perf_counter around subprocess.run.
    """
    import shutil

    if shutil.which("hyperfine"):
        import json
        import tempfile

        with tempfile.NamedTemporaryFile(suffix=".json") as tmp:
            subprocess.run(
                [
                    "hyperfine",
                    "--runs",
                    str(runs),
                    "--export-json",
                    tmp.name,
                    "-N",
                    " ".join(command),
                ],
                check=True,
                capture_output=True,
            )
            data = json.loads(Path(tmp.name).read_text())
        return {"median_s": float(data["results"][0]["median"]), "tool": "hyperfine"}
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True)
        times.append(time.perf_counter() - start)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} exited {done.returncode}: {done.stderr!r}")
    return {"median_s": statistics.median(times), "tool": "perf_counter"}
