"""Runs calls as Ray tasks on a cluster, each with a hard deadline enforced on the cluster.

Each call is one Ray task asking for the call's CPUs, GPUs and memory. Arguments that stay
the same object from one call to the next (the search's training data and problem) are put
in the object store once and shared by reference; the rest travel with each task. A call
that overruns its deadline is cancelled on its node (``ray.cancel(force=True)``); a call
whose worker or node was lost is retried once by Ray, then reported as DIED with Ray's
reason. Every end names the node (Ray node id) and host it ran on.

``ray`` is imported only when a ``RayExecutor`` is made, so local runs never pay for it.
"""

import contextlib
import dataclasses
import logging
import os
import socket
import time
from dataclasses import dataclass
from typing import Any

from tunelab.executors._protocol import Call, CallEnd, EndState

_CAPACITY_TTL = 2.0  # seconds between refreshes of the cluster's CPU count


def _node_host() -> str:
    """``hostname (ip)`` of the node this runs on."""
    import ray

    return f"{socket.gethostname()} ({ray.util.get_node_ip_address()})"


def _to_local_clock(arg: Any, offset: float) -> Any:
    """``arg`` with its ``deadline`` (a monotonic instant of the submitting process, see
    ``Call``) moved to this process's monotonic clock; ``offset`` is the submitter's
    ``time.time() - time.monotonic()``. Wall clocks of the nodes are assumed in sync."""
    deadline = getattr(arg, "deadline", None)
    if not dataclasses.is_dataclass(arg) or not isinstance(deadline, float):
        return arg
    local = deadline + offset - time.time() + time.monotonic()
    return dataclasses.replace(arg, deadline=local)  # type: ignore[type-var]


def _run_call(fn: Any, cpus: int, offset: float, *args: Any) -> tuple[bool, Any, str, str, float]:
    """Body of a call's Ray task: ``(ok, value_or_reason, node_id, host, seconds)``."""
    import ray
    from threadpoolctl import threadpool_limits

    started = time.monotonic()
    node_id = ray.get_runtime_context().get_node_id()
    host = _node_host()
    args = tuple(_to_local_clock(a, offset) for a in args)
    try:
        with threadpool_limits(limits=cpus):
            value = fn(*args)
        return True, value, node_id, host, time.monotonic() - started
    except Exception as error:
        return False, f"{type(error).__name__}: {error}", node_id, host, time.monotonic() - started


def _warm_up(modules: tuple[str, ...]) -> str:
    """Import ``modules`` in this worker (so that the first calls do not pay for it)."""
    import importlib

    import ray

    for name in modules:
        importlib.import_module(name)
    return str(ray.get_runtime_context().get_node_id())


@dataclass
class _Running:
    call: Call
    ref: Any  # ray.ObjectRef
    started: float
    deadline: float
    kill_reason: str = ""


class RayExecutor:
    """Runs calls as Ray tasks, as many at once as the cluster has CPUs for.

    ``address`` is anything ``ray.init(address=...)`` accepts (``"auto"``, ``"HOST:PORT"``,
    ``"ray://HOST:10001"``); None starts a local Ray instance. ``max_running`` caps the
    calls at once below the cluster's CPU count.

    A call's timeout counts from its submission, as with local processes; so that it does
    not count a cold worker's start-up, the executor first starts one worker per cluster CPU
    and imports ``preload`` in it (up to ``warm_up_timeout`` seconds; 0: no warm-up).
    """

    def __init__(
        self,
        address: str | None = None,
        *,
        max_running: int | None = None,
        preload: tuple[str, ...] = ("tunelab.search",),
        warm_up_timeout: float = 120.0,
    ) -> None:
        # the cluster's nodes run their own tunelab install: do not ship this folder and a
        # ``uv run`` per worker (Ray's default when the driver was started by ``uv run``)
        os.environ.setdefault("RAY_ENABLE_UV_RUN_RUNTIME_ENV", "0")
        import ray

        self._ray = ray
        self._own_ray = not ray.is_initialized()
        if self._own_ray:
            ray.init(
                address=address,
                ignore_reinit_error=True,
                log_to_driver=False,
                logging_level=logging.WARNING,
                configure_logging=False,
            )
        self.address = address
        self.max_running = max_running
        self._remote = ray.remote(_run_call)
        self._running: dict[int, _Running] = {}
        self._shared: dict[int, tuple[Any, Any]] = {}  # position -> (object, its ObjectRef)
        self._cpus = 0.0
        self._cpus_at = -_CAPACITY_TTL
        self._call_cpus = 1  # CPUs the last submitted call asked for
        self.warm_nodes: set[str] = set()
        if warm_up_timeout > 0:
            self.warm_up(preload, warm_up_timeout)

    def warm_up(self, modules: tuple[str, ...], timeout: float) -> None:
        """Start a worker on every free CPU of the cluster and import ``modules`` in it."""
        task = self._ray.remote(_warm_up).options(
            num_cpus=1, max_retries=0, scheduling_strategy="SPREAD"
        )
        refs = [task.remote(modules) for _ in range(max(1, int(self.cluster_cpus())))]
        ready, pending = self._ray.wait(refs, num_returns=len(refs), timeout=timeout)
        for ref in pending:
            self._cancel_ref(ref)
        for ref in ready:
            try:
                self.warm_nodes.add(self._ray.get(ref))
            except self._ray.exceptions.RayError:
                continue

    # -- capacity ---------------------------------------------------------------------
    @property
    def n_running(self) -> int:
        return len(self._running)

    def cluster_cpus(self) -> float:
        """CPUs of the cluster's live nodes (refreshed every few seconds)."""
        now = time.monotonic()
        if now - self._cpus_at > _CAPACITY_TTL:
            self._cpus = float(self._ray.cluster_resources().get("CPU", 0.0))
            self._cpus_at = now
        return self._cpus

    def capacity(self) -> int:
        running = (r.call.resources.cpus for r in self._running.values())
        per_call = max(1, self._call_cpus, *running)
        slots = int(self.cluster_cpus() // per_call)
        if self.max_running is not None:
            slots = min(slots, self.max_running)
        return max(0, slots - len(self._running))

    # -- running ----------------------------------------------------------------------
    def submit(self, call: Call) -> None:
        if call.key in self._running:
            raise ValueError(f"call {call.key} is already running")
        now = time.monotonic()
        self._call_cpus = call.resources.cpus
        options: dict[str, Any] = {
            "num_cpus": call.resources.cpus,
            "num_gpus": call.resources.gpus,
            "max_retries": 1,  # a task lost with its worker or node runs once more
            "retry_exceptions": False,
            # spread trials over the nodes: else the owner reuses one leased worker for
            # back-to-back short trials and a single node takes them all
            "scheduling_strategy": "SPREAD",
        }
        if call.resources.memory_mb:
            options["memory"] = int(call.resources.memory_mb * 2**20)
        offset = time.time() - now
        args = self._args_by_reference(call.args)
        ref = self._remote.options(**options).remote(call.fn, call.resources.cpus, offset, *args)
        self._running[call.key] = _Running(call, ref, now, now + call.timeout)

    def _args_by_reference(self, args: tuple[Any, ...]) -> list[Any]:
        """Each argument as an ObjectRef, put in the object store only when it is not the
        same object as the previous call's argument at that position."""
        refs = []
        for position, arg in enumerate(args):
            cached = self._shared.get(position)
            if cached is None or cached[0] is not arg:
                cached = (arg, self._ray.put(arg))
                self._shared[position] = cached
            refs.append(cached[1])
        return refs

    def cap_deadlines(self, at: float, reason: str) -> None:
        for run in self._running.values():
            if run.deadline > at:
                run.deadline, run.kill_reason = at, reason

    def wait(self, timeout: float) -> list[CallEnd]:
        if not self._running:
            return []
        ended = self._collect(timeout)
        now = time.monotonic()
        for key, run in list(self._running.items()):
            if now >= run.deadline:
                self._cancel(run)
                del self._running[key]
                reason = run.kill_reason or (
                    f"cancelled on the cluster after {run.deadline - run.started:.1f} s "
                    "(trial timeout)"
                )
                ended.append(self._end(run, EndState.TIMED_OUT, reason))
        return ended

    def _collect(self, timeout: float) -> list[CallEnd]:
        """Wait up to ``timeout`` (and no later than the nearest deadline) for tasks to end."""
        now = time.monotonic()
        nearest = min(r.deadline for r in self._running.values())
        limit = max(0.0, min(timeout, nearest - now))
        by_ref = {run.ref: key for key, run in self._running.items()}
        ready, _ = self._ray.wait(list(by_ref), num_returns=1, timeout=limit)
        if ready:
            ready, _ = self._ray.wait(list(by_ref), num_returns=len(by_ref), timeout=0)
        ended = []
        for ref in ready:
            run = self._running.pop(by_ref[ref])
            ended.append(self._result(run))
        return ended

    def _result(self, run: _Running) -> CallEnd:
        exceptions = self._ray.exceptions
        try:
            ok, value, node_id, host, seconds = self._ray.get(run.ref)
        except exceptions.OutOfMemoryError as error:
            return self._end(run, EndState.OUT_OF_MEMORY, _first_line(error))
        except exceptions.TaskCancelledError as error:
            return self._end(run, EndState.KILLED, _first_line(error))
        except exceptions.RayError as error:  # node died, worker crashed, owner died, ...
            reason = f"lost on the cluster (retried once): {type(error).__name__}: "
            return self._end(run, EndState.DIED, reason + _first_line(error))
        state = EndState.RETURNED if ok else EndState.ERROR
        end = CallEnd(run.call.key, state, elapsed=seconds, host=host, node_id=node_id)
        if ok:
            end.value = value
        else:
            end.reason = str(value)
        return end

    def kill_all(self, reason: str) -> list[CallEnd]:
        ended = []
        for run in self._running.values():
            self._cancel(run)
            ended.append(self._end(run, EndState.KILLED, reason))
        self._running.clear()
        return ended

    def shutdown(self) -> None:
        self.kill_all("the executor was shut down")
        self._shared.clear()
        if self._own_ray and self._ray.is_initialized():
            self._ray.shutdown()

    def _cancel(self, run: _Running) -> None:
        self._cancel_ref(run.ref)

    def _cancel_ref(self, ref: Any) -> None:
        # already finished or its node is gone: nothing left to stop
        with contextlib.suppress(Exception):
            self._ray.cancel(ref, force=True)

    def _end(self, run: _Running, state: EndState, reason: str = "") -> CallEnd:
        elapsed = time.monotonic() - run.started
        return CallEnd(run.call.key, state, elapsed=elapsed, reason=reason)


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def cluster_executor(ray_address: str | None) -> RayExecutor | None:
    """A ``RayExecutor`` on ``ray_address`` (the ``--ray-address`` options), None without one
    (trials then run in local processes and Ray is never imported)."""
    return RayExecutor(ray_address) if ray_address else None
