"""The registry's local backend store: its own database on the platform's PostgreSQL server.

MLflow (its SQLAlchemy store) creates and migrates its tables in that database on first use, so
the database belongs to the provisioner's login (``DATABASE_ADMIN_URL``), which owns what the
platform creates; the app's login, which owns nothing, never reaches it. In Azure the app talks
to the MLflow tracking server over HTTPS instead and this module is not used.
"""

from __future__ import annotations

from urllib.parse import quote

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict


def ensure_registry_database(admin_url: str, database: str) -> str:
    """Create ``database`` (owned by the login of ``admin_url``) unless it exists, and return
    the SQLAlchemy URL that MLflow's store uses to reach it with that login. Idempotent."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,))
        if not found.fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
            conn.execute(
                sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(sql.Identifier(database))
            )
    return sqlalchemy_url(admin_url, database)


def sqlalchemy_url(libpq_url: str, database: str) -> str:
    """``libpq_url`` (URL or key=value form) as a ``postgresql+psycopg://`` URL of
    ``database``; a Unix socket directory (``host=/...``) goes in the query string."""
    info = conninfo_to_dict(libpq_url)
    user = quote(str(info.get("user") or ""), safe="")
    password = info.get("password")
    credentials = user + (f":{quote(str(password), safe='')}" if password else "")
    host, port = str(info.get("host") or ""), info.get("port")
    query = []
    if host.startswith("/"):
        query.append(f"host={quote(host, safe='/')}")
        host = ""
    if port:
        if host:
            host += f":{port}"
        else:
            query.append(f"port={port}")
    if info.get("sslmode"):
        query.append(f"sslmode={info['sslmode']}")
    suffix = "?" + "&".join(query) if query else ""
    return f"postgresql+psycopg://{credentials}@{host}/{quote(database, safe='')}{suffix}"
