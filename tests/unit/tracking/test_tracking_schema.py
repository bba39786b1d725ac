"""Opening a store migrates it; the migrated schema matches the ORM exactly."""

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from tunelab.entities import ConfigError
from tunelab.tracking import MetadataStore
from tunelab.tracking._orm import Base

TABLES = {
    "datasets",
    "experiments",
    "trials",
    "models",
    "deployments",
    "predictions",
    "jobs",
    "job_events",
    "registered_models",
    "model_versions",
    "model_aliases",
    "model_alias_events",
    "deployment_traffic",
    "runs",
    "users",
    "api_tokens",
    "auth_sessions",
    "resource_access",
    "resource_shares",
    "audit_events",
    "monitor_batches",
    "prediction_labels",
    "alert_rules",
    "alerts",
    "monitor_settings",
    "alembic_version",
}


def test_open_creates_every_table_at_head(store: MetadataStore) -> None:
    assert set(inspect(store.engine).get_table_names()) == TABLES
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0005"


def test_migrations_match_the_orm(store: MetadataStore) -> None:
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_reopening_keeps_data(db_url: str) -> None:
    with MetadataStore(db_url) as first:
        dataset = first.add_dataset(name="a", source="upload", uri="k", size_bytes=3, sha256="x")
    with MetadataStore(db_url) as second:
        assert second.get_dataset(dataset.id) == dataset


def test_sqlite_uses_wal_and_foreign_keys(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'sub' / 'm.db'}"
    with MetadataStore(url) as store, store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


@pytest.mark.parametrize("url", ["nonsense", "mysql://u@h/db", "sqlite://", "sqlite:///:memory:"])
def test_unsupported_urls_are_config_errors(url: str) -> None:
    with pytest.raises(ConfigError, match=r"database|SQLite"):
        MetadataStore(url)
