"""Shared by every test directory: the tests' own modules on the path, and a PostgreSQL
database of its own for the tests that need one."""

import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from helpers import service_missing

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


@pytest.fixture
def pg_database() -> Iterator[str]:
    """A new database on the local PostgreSQL (dropped after the test): its URL."""
    psycopg = pytest.importorskip("psycopg")
    name = f"statserver_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3)
    except psycopg.Error as exc:  # pragma: no cover - depends on the machine
        service_missing(f"PostgreSQL is not running on 127.0.0.1:5432: {exc}")
    with admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
