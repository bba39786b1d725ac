"""Where trials run: the ``TrialExecutor`` seam and the local process executor.

An executor runs function calls, each with a timeout and resource requests, and reports
how each call ended. The search hands it its trials (``tunelab.search``); nothing here
knows what a trial is, so a cluster executor (e.g. Ray) is one more module beside
``LocalProcessExecutor``.
"""

from tunelab.executors._local import LocalProcessExecutor, local_host
from tunelab.executors._protocol import Call, CallEnd, EndState, Resources, TrialExecutor

__all__ = [
    "Call",
    "CallEnd",
    "EndState",
    "LocalProcessExecutor",
    "Resources",
    "TrialExecutor",
    "local_host",
]
