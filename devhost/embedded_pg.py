"""An embedded PostgreSQL 16 (+ pgvector) from the PyPI package ``pgserver``.

Used when ``DATABASE_URL`` is unset: devhost, ``tools.admin`` and the test suite start one under
a local data dir. ``pgserver`` shares one server between every process that asks for the same
data dir and works as root. The server keeps running across devhost restarts
(``cleanup_mode=None``), so a killed devhost finds its data where it left it.

Its superuser is used only to set up the two logins the app runs with, as in Azure: the app's,
which owns nothing, and the provisioner's (``shared.adapters.store.postgres.roles``).
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_PG_DIR = Path(".devhost") / "pg"  # under the app folder
APP_ROLE = "agent_app"
PROVISIONER_ROLE = "agent_provisioner"
PLATFORM_DATABASE = "platform"
#: PostgreSQL's default of 100 is less than a devhost with many tenants holds at once: the
#: platform pool, the Durable store's pools and one pool per tenant database in use (the test
#: suite runs several devhosts against one server).
MAX_CONNECTIONS = 300


@dataclass(frozen=True)
class EmbeddedLogins:
    """libpq URLs of the platform database: as the app, and as the provisioner."""

    app_url: str
    admin_url: str


@contextmanager
def _dir_lock(path: Path) -> Iterator[None]:
    path.mkdir(parents=True, exist_ok=True)
    with open(path / ".start.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def embedded_database_url(data_dir: Path) -> str:
    """Start (or join) the embedded server under ``data_dir`` and return its libpq URL."""
    import pgserver  # heavy and local-only: imported on demand

    pgdata = data_dir.resolve()
    with _dir_lock(pgdata.parent):
        server = pgserver.get_server(pgdata, cleanup_mode=None)  # type: ignore[attr-defined]
        _ensure_max_connections(server)
    return str(server.get_uri())


def _ensure_max_connections(server: Any) -> None:
    """Raise ``max_connections`` to ``MAX_CONNECTIONS`` once per data dir: the setting needs a
    restart, which ``pg_ctl restart`` does with the options the server was started with."""
    import psycopg
    from pgserver._commands import pg_ctl  # type: ignore[attr-defined]

    with psycopg.connect(server.get_uri(), autocommit=True) as conn:
        row = conn.execute("SHOW max_connections").fetchone()
        if row is not None and int(row[0]) >= MAX_CONNECTIONS:
            return
        conn.execute(f"ALTER SYSTEM SET max_connections = {MAX_CONNECTIONS}")
    pg_ctl(["-w", "restart", "-m", "fast"], pgdata=server.pgdata, user=server.system_user)


def embedded_logins(data_dir: Path) -> EmbeddedLogins:
    """Start (or join) the embedded server, make sure its logins and platform database exist,
    and return their URLs (local trust authentication: no passwords)."""
    import psycopg
    from psycopg.conninfo import make_conninfo

    from shared.adapters.store.postgres.roles import Login, ensure_login_roles

    superuser = embedded_database_url(data_dir)
    with _dir_lock(data_dir.resolve().parent), psycopg.connect(superuser, autocommit=True) as conn:
        ensure_login_roles(
            conn,
            provisioner=Login(PROVISIONER_ROLE),
            app=Login(APP_ROLE),
            database=PLATFORM_DATABASE,
        )
    return EmbeddedLogins(
        app_url=make_conninfo(superuser, user=APP_ROLE, dbname=PLATFORM_DATABASE),
        admin_url=make_conninfo(superuser, user=PROVISIONER_ROLE, dbname=PLATFORM_DATABASE),
    )
