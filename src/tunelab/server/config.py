"""Server and worker settings from ``TUNELAB_*`` variables (read only here and in cli)."""

from pathlib import Path
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServerSettings(BaseSettings):
    """Where the platform keeps its state and how it serves.

    ``home`` holds the SQLite file (``tunelab.db``) and local artifacts (``artifacts/``)
    unless ``db_url`` / ``artifacts_url`` point elsewhere (``postgresql://...``, ``s3://...``).
    ``artifacts_options`` are fsspec storage options (JSON in the environment), e.g.
    ``{"endpoint_url": "http://127.0.0.1:9000"}`` for an S3-compatible server.
    """

    model_config = SettingsConfigDict(env_prefix="TUNELAB_", extra="ignore")

    home: Path = Field(default_factory=lambda: Path.home() / ".tunelab")
    db_url: str | None = None
    artifacts_url: str | None = None
    artifacts_options: dict[str, Any] = Field(default_factory=dict)
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    max_upload_bytes: int = 5 * 1024**3
    api_token: str | None = None
    store_predictions: bool = True
    sse_poll_seconds: float = 0.5
    lease_seconds: float = 30.0
    job_memory_mb: float | None = None  # per job (its process tree); None: a share of RAM
    cancel_grace_seconds: float = 15.0  # a cancelled job that has not stopped is then killed

    @property
    def database_url(self) -> str:
        return self.db_url or f"sqlite:///{self.home.expanduser() / 'tunelab.db'}"

    @property
    def artifacts_location(self) -> str:
        return self.artifacts_url or str(self.home.expanduser() / "artifacts")

    @property
    def cache_dir(self) -> Path:
        return self.home.expanduser() / "cache"
