"""Stores under test: a SQLite file and a real PostgreSQL server started here."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from pg_server import create_database, postgres_server

from tunelab.tracking import MetadataStore


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    with postgres_server() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'meta.db'}"
    return create_database(request.getfixturevalue("pg_server_url"))


@pytest.fixture
def store(db_url: str) -> Iterator[MetadataStore]:
    with MetadataStore(db_url) as opened:
        yield opened
