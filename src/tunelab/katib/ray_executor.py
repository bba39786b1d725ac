"""Run Katib trials as Ray tasks: each trial's command runs on some node of the cluster.

The trial's folder must be on a filesystem every node sees (the same path): the command
runs there, its logs stay where the local runner expects them, and ``ray_node.txt`` there
says where the trial ran. The trial deadline (``activeDeadlineSeconds`` or
``--trial-timeout``) is enforced on the node by the usual subprocess executor; a stopped
experiment cancels the task (``ray.cancel(force=True)``); a trial lost with its node is
retried once by Ray, then fails naming the reason. Metrics reach the runner when the trial
ends, so ``medianstop`` cannot stop a trial early on Ray.
"""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path
from typing import Any

from tunelab.katib.executor import (
    CANCELLED,
    EARLY_STOPPED,
    SubprocessExecutor,
    TrialContext,
    TrialOutcome,
)
from tunelab.katib.metrics import MetricLog, Observation

_POLL = 0.2
NODE_FILE = "ray_node.txt"  # in the trial folder: "<node id> <hostname> <ip>"


def _run_on_node(
    local: SubprocessExecutor,
    name: str,
    number: int,
    assignments: dict[str, str],
    values: dict[str, Any],
    trial_dir: str,
) -> tuple[TrialOutcome, list[Observation], str]:
    """Body of a trial's Ray task: run the trial here; its outcome, metrics and node id."""
    import ray

    ctx = TrialContext(
        name=name,
        number=number,
        assignments=assignments,
        values=values,
        trial_dir=Path(trial_dir),
        metrics=MetricLog(),
        should_stop=lambda: False,
        cancel=threading.Event(),
    )
    outcome = local(ctx)
    node_id = ray.get_runtime_context().get_node_id()
    where = f"{node_id} {socket.gethostname()} {ray.util.get_node_ip_address()}\n"
    (Path(trial_dir) / NODE_FILE).write_text(where)
    return outcome, ctx.metrics.observations(), node_id


class RayTrialExecutor:
    """A Katib trial executor running each trial as a one-CPU Ray task on ``address``."""

    def __init__(self, local: SubprocessExecutor, address: str) -> None:
        os.environ.setdefault("RAY_ENABLE_UV_RUN_RUNTIME_ENV", "0")  # see RayExecutor
        import ray

        if not ray.is_initialized():
            ray.init(address=address, log_to_driver=False, configure_logging=False)
        self._ray = ray
        self.local = local
        self._remote = ray.remote(_run_on_node).options(num_cpus=1, max_retries=1)
        self.nodes: dict[str, str] = {}  # trial name -> node id it ran on

    def __call__(self, ctx: TrialContext) -> TrialOutcome:
        ref = self._remote.remote(
            self.local, ctx.name, ctx.number, ctx.assignments, ctx.values, str(ctx.trial_dir)
        )
        while not self._ray.wait([ref], timeout=_POLL)[0]:
            stop = CANCELLED if ctx.cancel.is_set() else None
            if stop is None and ctx.should_stop():
                stop = EARLY_STOPPED
            if stop is not None:
                self._ray.cancel(ref, force=True)
                return TrialOutcome(None, stop, f"the Ray task was cancelled ({stop})")
        try:
            outcome, observations, node_id = self._ray.get(ref)
        except self._ray.exceptions.RayError as error:
            first = (str(error).strip().splitlines() or [type(error).__name__])[0]
            reason = f"lost on the Ray cluster (retried once): {type(error).__name__}: {first}"
            return TrialOutcome(None, None, reason)
        ctx.metrics.add(observations)
        self.nodes[ctx.name] = node_id
        return outcome
