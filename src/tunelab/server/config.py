"""Server and worker settings from ``TUNELAB_*`` variables (read only here and in cli)."""

from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class ServerSettings(BaseSettings):
    """Where the platform keeps its state and how it serves.

    ``home`` holds the SQLite file (``tunelab.db``) and local artifacts (``artifacts/``)
    unless ``db_url`` / ``artifacts_url`` point elsewhere (``postgresql://...``, ``s3://...``).
    ``artifacts_options`` are fsspec storage options (JSON in the environment), e.g.
    ``{"endpoint_url": "http://127.0.0.1:9000"}`` for an S3-compatible server.
    ``object_store_options`` are the fsspec options for user imports from and exports to
    S3 (default: ``artifacts_options`` when the artifacts are on S3); a request may add only
    credentials and a region. ``object_store_buckets`` limits those to the listed buckets
    (empty: any); ``object_store_endpoints`` lists endpoints a request may name (empty: none).
    ``data_limits`` overrides the hostile-file limits (``DataLimits`` fields, JSON).
    ``allowed_hosts`` are extra names the ``Host`` header may carry besides ``localhost``,
    ``127.0.0.1``, ``::1`` and ``host`` (comma-separated in ``TUNELAB_ALLOWED_HOSTS``; ``*``
    allows any, e.g. behind a proxy that checks it).
    ``monitor_interval_seconds``: how often a ``monitor`` job evaluates the alert rules (0:
    never on a schedule). ``webhook_allow_private``: alert webhooks may call loopback and
    private-network addresses (off by default: users could otherwise reach internal services).
    ``ray_address``: the Ray clusters experiments may run their trials on (``--ray-address``;
    comma-separated in ``TUNELAB_RAY_ADDRESS``); the first is the default, and an
    experiment's ``executor.address`` must be one of them (users cannot name others).
    """

    model_config = SettingsConfigDict(env_prefix="TUNELAB_", extra="ignore")

    home: Path = Field(default_factory=lambda: Path.home() / ".tunelab")
    db_url: str | None = None
    artifacts_url: str | None = None
    artifacts_options: dict[str, Any] = Field(default_factory=dict)
    object_store_options: dict[str, Any] = Field(default_factory=dict)
    object_store_buckets: list[str] = Field(default_factory=list)
    object_store_endpoints: list[str] = Field(default_factory=list)
    data_limits: dict[str, int] = Field(default_factory=dict)
    host: str = "127.0.0.1"
    port: int = 8000
    allowed_hosts: Annotated[list[str], NoDecode] = Field(default_factory=list)
    workers: int = 1
    max_upload_bytes: int = 5 * 1024**3
    upload_idle_seconds: float = (
        24 * 3600.0
    )  # a chunked upload with no chunk for this long expires
    api_token: str | None = None  # the shared token of single-user mode (``auth`` off)
    auth: bool = True  # users, sessions and API tokens; False: single-user, 127.0.0.1 only
    session_days: float = 14.0
    store_predictions: bool = True
    sse_poll_seconds: float = 0.5
    lease_seconds: float = 30.0
    job_memory_mb: float | None = None  # per job (its process tree); None: a share of RAM
    monitor_interval_seconds: float = 300.0
    webhook_allow_private: bool = False
    cancel_grace_seconds: float = 15.0  # a cancelled job that has not stopped is then killed
    ray_address: Annotated[list[str], NoDecode] = Field(default_factory=list)

    @field_validator("ray_address", mode="before")
    @classmethod
    def _split_addresses(cls, value: Any) -> Any:
        from tunelab.executors import split_addresses

        return split_addresses(value) if isinstance(value, str | list | tuple) else value

    @field_validator("allowed_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [name.strip() for name in value.split(",") if name.strip()]
        return value

    @property
    def needs_token(self) -> bool:
        """Whether API calls need a bearer token (code snippets show one)."""
        return self.auth or bool(self.api_token)

    @property
    def database_url(self) -> str:
        return self.db_url or f"sqlite:///{self.home.expanduser() / 'tunelab.db'}"

    @property
    def artifacts_location(self) -> str:
        return self.artifacts_url or str(self.home.expanduser() / "artifacts")

    @property
    def cache_dir(self) -> Path:
        return self.home.expanduser() / "cache"


def apply_data_limits(settings: ServerSettings) -> None:
    """Make ``settings.data_limits`` (``TUNELAB_DATA_LIMITS``) the readers' default limits."""
    if settings.data_limits:
        from tunelab.data import set_default_limits
        from tunelab.entities import DataLimits

        set_default_limits(DataLimits.from_mapping(settings.data_limits))
