"""Which executor a run's settings choose, among the Ray clusters the operator configured."""

import pytest

from tunelab.entities import SettingsError
from tunelab.entities.settings import ExecutorSettings
from tunelab.executors import RAY_ADDRESS_ENV, configured_ray_addresses, ray_address_for

CLUSTERS = ["10.0.0.5:6379", "ray://10.0.0.6:10001"]


def test_configured_addresses_come_from_the_environment_in_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(RAY_ADDRESS_ENV, " 10.0.0.5:6379, ray://10.0.0.6:10001 ,10.0.0.5:6379,")
    assert configured_ray_addresses() == CLUSTERS
    monkeypatch.delenv(RAY_ADDRESS_ENV)
    assert configured_ray_addresses() == []


@pytest.mark.parametrize(
    ("executor", "configured", "address"),
    [
        (None, [], None),  # the server's default without a cluster: local processes
        (None, CLUSTERS, CLUSTERS[0]),  # ... with clusters: the first
        (ExecutorSettings(kind="local"), CLUSTERS, None),  # local although Ray is there
        (ExecutorSettings(kind="ray"), CLUSTERS, CLUSTERS[0]),
        (ExecutorSettings(kind="ray", address=CLUSTERS[1]), CLUSTERS, CLUSTERS[1]),
    ],
)
def test_the_settings_choose_local_or_a_configured_cluster(
    executor: ExecutorSettings | None, configured: list[str], address: str | None
) -> None:
    assert ray_address_for(executor, configured) == address


def test_ray_without_a_configured_cluster_is_refused_naming_the_kind() -> None:
    with pytest.raises(SettingsError) as info:
        ray_address_for(ExecutorSettings(kind="ray"), [])
    assert info.value.field == "executor.kind"
    assert "no Ray cluster is configured" in info.value.reason


def test_an_address_the_operator_did_not_configure_is_refused() -> None:
    """A user cannot point the server at another network address (only the listed ones)."""
    settings = ExecutorSettings(kind="ray", address="169.254.169.254:80")
    with pytest.raises(SettingsError) as info:
        ray_address_for(settings, CLUSTERS)
    assert info.value.field == "executor.address"
    assert "not a configured Ray cluster" in info.value.reason
    assert CLUSTERS[0] in info.value.reason
