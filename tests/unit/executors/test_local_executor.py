"""LocalProcessExecutor runs any module-level call in a forked child, whatever it is."""

import math
import operator
import socket
import time

from tunelab.executors import Call, CallEnd, EndState, LocalProcessExecutor, Resources


def _drain(executor: LocalProcessExecutor) -> list[CallEnd]:
    ended: list[CallEnd] = []
    for _ in range(120):  # bounded, so a bug cannot hang the test
        if not executor.n_running:
            break
        ended += executor.wait(timeout=1.0)
    assert executor.n_running == 0
    return ended


def test_a_call_returns_its_value_and_the_host_it_ran_on() -> None:
    executor = LocalProcessExecutor(2)
    assert executor.capacity() == 2
    executor.submit(Call(0, operator.add, (2, 3)))
    executor.submit(Call(1, math.factorial, (5,), resources=Resources(cpus=1)))
    assert executor.capacity() == 0
    ended = sorted(_drain(executor), key=lambda e: e.key)
    assert [(e.key, e.state, e.value) for e in ended] == [
        (0, EndState.RETURNED, 5),
        (1, EndState.RETURNED, 120),
    ]
    assert {e.host for e in ended} == {socket.gethostname()}
    assert executor.capacity() == 2


def test_a_raising_call_ends_as_error_naming_the_exception() -> None:
    executor = LocalProcessExecutor(1)
    executor.submit(Call(7, math.sqrt, (-1.0,)))
    (end,) = _drain(executor)
    assert end.state is EndState.ERROR
    assert end.key == 7
    assert "ValueError" in end.reason


def test_a_call_past_its_timeout_is_killed() -> None:
    executor = LocalProcessExecutor(1)
    executor.submit(Call(0, time.sleep, (600,), timeout=0.5))
    (end,) = _drain(executor)
    assert end.state is EndState.TIMED_OUT
    assert "killed after" in end.reason


def test_shutdown_kills_running_calls() -> None:
    executor = LocalProcessExecutor(1)
    executor.submit(Call(0, time.sleep, (600,)))
    executor.shutdown()
    assert executor.n_running == 0
    assert executor.wait(timeout=0.1) == []
