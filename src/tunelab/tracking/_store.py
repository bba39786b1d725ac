"""The metadata store: one class, plain methods, frozen entities out."""

from tunelab.tracking._auth import AuthStoreMixin
from tunelab.tracking._deployments import DeploymentStoreMixin
from tunelab.tracking._experiments import ExperimentStoreMixin
from tunelab.tracking._monitoring import MonitoringStoreMixin
from tunelab.tracking._queue import QueueStoreMixin
from tunelab.tracking._registry import RegistryStoreMixin


class MetadataStore(
    ExperimentStoreMixin,
    DeploymentStoreMixin,
    RegistryStoreMixin,
    QueueStoreMixin,
    AuthStoreMixin,
    MonitoringStoreMixin,
):
    """Everything tunelab remembers, in SQLite (``sqlite:///path``) or PostgreSQL.

    Opening a store migrates its schema to the newest version (``alembic upgrade head``).
    Safe to share between threads; many processes may open the same database. Every method
    returns frozen entities from ``tunelab.entities.platform`` and raises NotFoundError for
    unknown ids and ConflictError for lost races or forbidden state changes.
    """

    def __repr__(self) -> str:
        return f"MetadataStore({self.engine.url.render_as_string(hide_password=True)!r})"
