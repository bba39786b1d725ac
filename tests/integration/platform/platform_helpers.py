"""Helpers shared by the platform integration tests."""

import socket
from collections.abc import Callable
from pathlib import Path

from tunelab.client import Client

Server = Callable[..., Client]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def make_csv(path: Path, n: int = 240, seed: int = 0) -> Path:
    """A small binary problem: label depends on a number and a category."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {"x": rng.normal(size=n).round(4), "color": rng.choice(["red", "blue", "green"], n)}
    )
    frame["label"] = np.where(frame["x"] + (frame["color"] == "red") > 0.3, "yes", "no")
    frame.to_csv(path, index=False)
    return path
