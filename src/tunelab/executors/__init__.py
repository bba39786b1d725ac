"""Where trials run: the ``TrialExecutor`` seam and the local process executor.

An executor runs function calls, each with a timeout and resource requests, and reports
how each call ended. The search hands it its trials (``tunelab.search``); nothing here
knows what a trial is: ``RayExecutor`` (Ray tasks on a cluster; ``ray`` imported only when
one is made) sits beside ``LocalProcessExecutor``.
"""

from tunelab.executors._choice import (
    RAY_ADDRESS_ENV,
    configured_ray_addresses,
    ray_address_for,
    split_addresses,
)
from tunelab.executors._local import LocalProcessExecutor, local_host
from tunelab.executors._protocol import Call, CallEnd, EndState, Resources, TrialExecutor
from tunelab.executors._ray import RayExecutor, cluster_executor

__all__ = [
    "RAY_ADDRESS_ENV",
    "Call",
    "CallEnd",
    "EndState",
    "LocalProcessExecutor",
    "RayExecutor",
    "Resources",
    "TrialExecutor",
    "cluster_executor",
    "configured_ray_addresses",
    "local_host",
    "ray_address_for",
    "split_addresses",
]
