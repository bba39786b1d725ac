"""Test jobs and a script that runs a real worker process on them.

``steps`` is resumable: each step is checkpointed in the artifact store, like the AutoML job
persists its finished trials, so a job taken over after its worker died resumes after the
last finished step. ``hog`` allocates memory until something stops it; ``stubborn`` never
looks at the cancel flag and keeps a grandchild process busy.
"""

import json
import subprocess
import sys
import time
from typing import Any

from tunelab.jobs import JobContext, run_worker


def steps_handler(ctx: JobContext) -> dict[str, Any]:
    n, delay = int(ctx.payload["n"]), float(ctx.payload.get("delay", 0.05))
    key = f"checkpoints/{ctx.job.id}.json"
    done = json.loads(ctx.artifacts.read_bytes(key)) if ctx.artifacts.exists(key) else []
    resumed_from = len(done)
    for step in range(resumed_from, n):
        ctx.check_cancelled()
        time.sleep(delay)
        done.append(step)
        ctx.artifacts.put_bytes(key, json.dumps(done).encode())
        ctx.emit("step", {"step": step})
    return {"steps": done, "resumed_from": resumed_from}


def hog_handler(ctx: JobContext) -> dict[str, Any]:
    """Touch 20 MB more every 0.1 s (up to ``max_mb``) in a step named ``hoarding``."""
    ctx.emit("progress", {"step": "hoarding"})
    kept: list[bytearray] = []
    for _ in range(int(ctx.payload.get("max_mb", 4000)) // 20):
        kept.append(bytearray(20 * 2**20))  # zero-filled: every page is touched
        time.sleep(0.1)
    return {"allocated_mb": 20 * len(kept)}


def stubborn_handler(ctx: JobContext) -> dict[str, Any]:
    """An uninterruptible step: ignores the cancel flag, with a busy grandchild process."""
    ctx.emit("progress", {"step": "uninterruptible"})
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    ctx.emit("grandchild", {"pid": child.pid})
    time.sleep(600)
    return {}


def main() -> None:
    db_url, artifacts_url, worker_id = sys.argv[1:4]
    memory_mb = float(sys.argv[4]) if len(sys.argv) > 4 else None
    grace = float(sys.argv[5]) if len(sys.argv) > 5 else 15.0
    run_worker(
        db_url,
        artifacts_url,
        handlers={"steps": steps_handler, "hog": hog_handler, "stubborn": stubborn_handler},
        worker_id=worker_id,
        lease_seconds=1.5,
        heartbeat_interval=0.2,
        poll_interval=0.1,
        memory_limit_mb=memory_mb,
        cancel_grace=grace,
    )


if __name__ == "__main__":
    main()
