"""A resumable test job ("steps") and a script that runs a real worker process on it.

Each step is checkpointed in the artifact store, like the AutoML job persists its finished
trials, so a job taken over after its worker died resumes after the last finished step.
"""

import json
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


def main() -> None:
    db_url, artifacts_url, worker_id = sys.argv[1:4]
    run_worker(
        db_url,
        artifacts_url,
        handlers={"steps": steps_handler},
        worker_id=worker_id,
        lease_seconds=1.5,
        heartbeat_interval=0.2,
        poll_interval=0.1,
    )


if __name__ == "__main__":
    main()
