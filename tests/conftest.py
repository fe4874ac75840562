"""Shared fixtures: a real PostgreSQL for the whole session, never a mock.

``DATABASE_URL`` when set (another PostgreSQL server, as a superuser); otherwise the embedded
server from ``pgserver`` under ``.devhost/test-pg``. The superuser only sets the session up: each
test session gets its own platform database and its own logins, as in Azure — a provisioner
(CREATEDB, CREATEROLE) that owns everything and provisions tenants, and the app's login, which
owns nothing and inherits no tenant role, so every test runs as the app really does. Tenant
databases and roles carry a prefix unique to the session (several sessions may share a server);
all of them are dropped at the end.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

from shared.adapters.store.postgres.database import Conn, Database
from shared.adapters.store.postgres.roles import Login, ensure_login_roles
from shared.adapters.store.postgres.tenants import PostgresTenantDirectory
from shared.domain.tenant import Tenant, TenantLocation

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
def role_prefix(session_id: str) -> str:
    """Prefix of this session's roles and databases (``TENANT_ROLE_PREFIX``)."""
    return f"r{session_id}_"


@pytest.fixture(scope="session")
def session_logins(server_url: str, role_prefix: str) -> Iterator[tuple[Login, Login, str]]:
    """The provisioner, the app's login and the platform database of this session."""
    provisioner = Login(role_prefix + "provisioner", secrets.token_urlsafe(16))
    app = Login(role_prefix + "app", secrets.token_urlsafe(16))
    platform = role_prefix + "platform"
    with psycopg.connect(server_url, autocommit=True) as conn:
        ensure_login_roles(conn, provisioner=provisioner, app=app, database=platform)
    yield provisioner, app, platform
    with psycopg.connect(server_url, autocommit=True) as conn:
        databases = conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s", (role_prefix + "%",)
        ).fetchall()
        for (name,) in databases:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
        roles = conn.execute(  # the logins last: they were granted the tenant roles
            "SELECT rolname FROM pg_roles WHERE rolname LIKE %s"
            " ORDER BY rolname IN (%s, %s), rolname = %s",
            (role_prefix + "%", app.name, provisioner.name, provisioner.name),
        ).fetchall()
        for (role,) in roles:
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


def _login_url(server_url: str, login: Login, database: str) -> str:
    return make_conninfo(server_url, user=login.name, password=login.password, dbname=database)


@pytest.fixture(scope="session")
def database_url(server_url: str, session_logins: tuple[Login, Login, str]) -> str:
    """The session's platform database, as the app's login (``DATABASE_URL``)."""
    _, app, platform = session_logins
    return _login_url(server_url, app, platform)


@pytest.fixture(scope="session")
def admin_database_url(server_url: str, session_logins: tuple[Login, Login, str]) -> str:
    """The session's platform database, as the provisioner (``DATABASE_ADMIN_URL``)."""
    provisioner, _, platform = session_logins
    return _login_url(server_url, provisioner, platform)


@pytest.fixture(scope="session")
def admin_db(admin_database_url: str) -> Iterator[Database]:
    database = Database(admin_database_url, min_size=0, max_size=4)
    database.open()
    yield database
    database.close()


@pytest.fixture(scope="session")
def db(database_url: str, admin_db: Database, role_prefix: str) -> Iterator[Database]:
    """The app's database, opened, with platform migrations applied (by the provisioner)."""
    database = Database(database_url, min_size=1, max_size=8)
    database.open()
    PostgresTenantDirectory(database, role_prefix=role_prefix, admin=admin_db).migrate()
    yield database
    database.close()


@pytest.fixture(scope="session")
def tenant_directory(db: Database, admin_db: Database, role_prefix: str) -> PostgresTenantDirectory:
    return PostgresTenantDirectory(db, role_prefix=role_prefix, admin=admin_db)


@pytest.fixture
def new_tenant(tenant_directory: PostgresTenantDirectory) -> Callable[[str], Tenant]:
    """Provision a tenant with a unique slug starting with ``base``."""

    def make(base: str = "t") -> Tenant:
        return tenant_directory.provision(f"{base}-{secrets.token_hex(3)}", base.title())

    return make


@pytest.fixture(scope="session")
def as_owner(admin_db: Database) -> Callable[[TenantLocation], AbstractContextManager[Conn]]:
    """A transaction in a tenant's database as the owner of its tables (the provisioner), with
    the tenant's schema on the search path: what a tampering administrator could do."""

    @contextmanager
    def owner(location: TenantLocation) -> Iterator[Conn]:
        with admin_db.connect(str(location.database)) as conn, conn.transaction():
            conn.execute(
                sql.SQL("SET LOCAL search_path TO {}").format(sql.Identifier(location.schema))
            )
            yield conn

    return owner
