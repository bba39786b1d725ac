"""Metadata store: SQLAlchemy 2 with Alembic migrations; SQLite by default, PostgreSQL by URL."""

from tunelab.tracking._engine import make_engine, upgrade
from tunelab.tracking._json import jsonable
from tunelab.tracking._store import MetadataStore

__all__ = ["MetadataStore", "jsonable", "make_engine", "upgrade"]
