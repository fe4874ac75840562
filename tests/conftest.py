"""Shared fixtures: a real PostgreSQL for the whole session, never a mock.

``DATABASE_URL`` when set (another PostgreSQL server); otherwise the embedded server from
``pgserver`` under ``.devhost/test-pg``. Each test session works in a fresh database of its own
(several sessions may share one server), dropped at the end together with the tenant roles it
created (roles are cluster-wide, so their prefix is unique per session).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from psycopg import sql

from shared.adapters.store.postgres.database import Database
from shared.adapters.store.postgres.migrations import migrate_platform
from shared.adapters.store.postgres.tenants import PostgresTenantDirectory
from shared.domain.tenant import Tenant

REPO_ROOT = Path(__file__).resolve().parents[1]


def _server_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    from devhost.embedded_pg import embedded_database_url

    return embedded_database_url(REPO_ROOT / ".devhost" / "test-pg")


def with_database(url: str, name: str) -> str:
    """``url`` pointing at database ``name`` (libpq URL; query string such as host= kept)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


@pytest.fixture(scope="session")
def session_id() -> str:
    return secrets.token_hex(4)


@pytest.fixture(scope="session")
def server_url() -> str:
    """URL of the PostgreSQL server (its maintenance database)."""
    return _server_url()


@pytest.fixture(scope="session")
def database_url(server_url: str, session_id: str) -> Iterator[str]:
    """A fresh, empty database for this test session."""
    name = f"t_{session_id}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield with_database(server_url, name)
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        prefix = f"r{session_id}_"
        roles = conn.execute(
            "SELECT rolname FROM pg_roles WHERE rolname LIKE %s", (prefix + "%",)
        ).fetchall()
        for (role,) in roles:
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


@pytest.fixture(scope="session")
def role_prefix(session_id: str) -> str:
    """Tenant role prefix unique to this session (``TENANT_ROLE_PREFIX``)."""
    return f"r{session_id}_"


@pytest.fixture(scope="session")
def db(database_url: str) -> Iterator[Database]:
    """The session database, opened, with platform migrations applied."""
    database = Database(database_url, min_size=1, max_size=8)
    database.open()
    with database.transaction() as conn:
        migrate_platform(conn)
    yield database
    database.close()


@pytest.fixture(scope="session")
def tenant_directory(db: Database, role_prefix: str) -> PostgresTenantDirectory:
    return PostgresTenantDirectory(db, role_prefix=role_prefix)


@pytest.fixture
def new_tenant(tenant_directory: PostgresTenantDirectory) -> Callable[[str], Tenant]:
    """Provision a tenant with a unique slug starting with ``base``."""

    def make(base: str = "t") -> Tenant:
        return tenant_directory.provision(f"{base}-{secrets.token_hex(3)}", base.title())

    return make
