"""Child processes that die with their parent (Linux ``prctl(PR_SET_PDEATHSIG)``).

A worker killed with SIGKILL cannot clean up after itself; its job process and trial
processes would live on as orphans (holding memory, CPU and the checkpoint lock). Each
child therefore asks the kernel, first thing, for a signal when its parent dies.

Caveat of the kernel interface: "parent" is the *thread* that forked the child, so the
forking thread must live as long as the child should (tunelab forks from long-lived threads:
a worker's main thread, a job's main thread, the supervisor's thread).
"""

import os
import signal
import sys

PR_SET_PDEATHSIG = 1


def die_with_parent(parent_pid: int, sig: int = signal.SIGKILL) -> bool:
    """Have the kernel send ``sig`` to this process when its parent dies.

    If the parent already died before the call (the process was re-parented), ``sig`` is
    sent at once. Returns whether the request was made (False off Linux or without libc).
    """
    if sys.platform != "linux":
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) != 0:
            return False
    except (OSError, AttributeError):
        return False
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os.kill(os.getpid(), sig)
    return True
