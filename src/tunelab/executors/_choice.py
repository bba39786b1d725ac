"""Which executor a run's settings choose, among the Ray clusters the operator configured.

A web user never names an arbitrary network address: an experiment's ``executor.address``
must be one of the addresses ``tunelab serve/worker --ray-address`` (``TUNELAB_RAY_ADDRESS``,
comma-separated) was given; the first is the default.
"""

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the settings model (pydantic) is loaded only when a run chooses
    from tunelab.entities.settings import ExecutorSettings

RAY_ADDRESS_ENV = "TUNELAB_RAY_ADDRESS"  # set by ``tunelab serve/worker --ray-address``


def split_addresses(value: str | Sequence[str] | None) -> list[str]:
    """``"a:6379, b:6379"`` (or a list) as distinct, stripped addresses, in order."""
    items = value.split(",") if isinstance(value, str) else list(value or [])
    return list(dict.fromkeys(a.strip() for a in items if a and a.strip()))


def configured_ray_addresses() -> list[str]:
    """The Ray clusters this process may use (``TUNELAB_RAY_ADDRESS``); the first is the
    default."""
    return split_addresses(os.environ.get(RAY_ADDRESS_ENV))


def ray_address_for(executor: "ExecutorSettings | None", configured: Sequence[str]) -> str | None:
    """The Ray address a run's trials go to (None: local processes).

    ``executor`` None keeps the server's default: its first configured cluster, else local.
    ``SettingsError`` (naming ``executor.kind`` or ``executor.address``) when the settings
    ask for a cluster that is not configured."""
    from tunelab.entities.settings import SettingsError

    configured = split_addresses(configured)
    if executor is None:
        return configured[0] if configured else None
    if executor.kind == "local":
        return None
    if not configured:
        message = "no Ray cluster is configured (tunelab serve/worker --ray-address)"
        raise SettingsError([("executor.kind", message)])
    if executor.address is None:
        return configured[0]
    if executor.address not in configured:
        allowed = ", ".join(configured)
        message = f"{executor.address!r} is not a configured Ray cluster (allowed: {allowed})"
        raise SettingsError([("executor.address", message)])
    return executor.address
