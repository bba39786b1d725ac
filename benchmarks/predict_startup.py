"""``tunelab predict`` start to exit (issue 17: 2,000 rows in <= 2 s on a quiet machine).

Runs ``tunelab predict BUNDLE ROWS --out FILE`` ``--runs`` times per bundle, each a new
process, and prints wall seconds, CPU seconds (user + sys) and peak RSS of each run, with
the load average before and after. ``--pythonpath DIR`` runs another checkout's ``src``
(e.g. ``git archive BASE src | tar -x -C DIR``) with this environment, for before/after.

    uv run python -m benchmarks.predict_startup BUNDLE:ROWS [BUNDLE:ROWS ...] [--runs 3]
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.machine import load_average


def one_run(bundle: str, rows: str, out: Path, env: dict[str, str]) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds and peak RSS (MB) of one ``tunelab predict`` process."""
    tunelab = str(Path(sys.executable).with_name("tunelab"))
    start = time.perf_counter()
    process = subprocess.Popen(
        [tunelab, "predict", bundle, rows, "--out", str(out)], env=env, stdout=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise SystemExit(f"tunelab predict {bundle} exited with {process.returncode}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss // 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("pairs", nargs="+", help="BUNDLE:ROWS (a bundle folder, a table)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pythonpath", help="run this src folder instead of the installed one")
    args = parser.parse_args()
    env = dict(os.environ)
    if args.pythonpath:
        env["PYTHONPATH"] = args.pythonpath
    print(f"load average before: {load_average()}")
    with tempfile.TemporaryDirectory() as tmp:
        for pair in args.pairs:
            bundle, rows = pair.rsplit(":", 1)
            for _ in range(args.runs):
                wall, cpu, rss = one_run(bundle, rows, Path(tmp) / "p.parquet", env)
                print(f"{bundle}: wall {wall:.2f} s, cpu {cpu:.2f} s, peak RSS {rss} MB")
    print(f"load average after: {load_average()}")


if __name__ == "__main__":
    main()
