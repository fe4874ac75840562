"""The login roles and the platform database: what a superuser sets up once per server.

Two logins, so that the app never holds more than it uses:

- the **provisioner** (``CREATEDB CREATEROLE``, not a superuser) owns the platform database and
  every tenant database and object in them; it runs migrations and provisions tenants
  (``tools.admin``, devhost's start-up, the tests' fixtures);
- the **app** (``NOINHERIT``, nothing else) reads and writes the platform tables and switches to
  a tenant's role for tenant work. It owns nothing and inherits nothing, so when a tenant role is
  shed inside a transaction the app's own rights reach no tenant's tables.

Locally devhost and the tests call ``ensure_login_roles`` as the embedded server's superuser. In
Azure each login is a managed identity of its own: the infrastructure makes the provisioner's the
server's Entra ID administrator, and the provisioner creates the app's as a plain login
(``ensure_entra_login``) when it migrates.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from psycopg import sql

from shared.adapters.store.postgres.database import Conn
from shared.domain.errors import ConfigurationError


@dataclass(frozen=True)
class Login:
    """A login role; ``password`` None leaves authentication to the server (local trust)."""

    name: str
    password: str | None = None


_ATTRIBUTES = {
    "provisioner": "LOGIN CREATEDB CREATEROLE NOSUPERUSER INHERIT",
    "app": "LOGIN NOINHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE",
}


def ensure_login_roles(
    conn: psycopg.Connection[tuple[object, ...]] | Conn,
    *,
    provisioner: Login,
    app: Login,
    database: str,
) -> None:
    """Create (or correct) both logins and the platform ``database``, owned by the provisioner.

    ``conn`` is a superuser's autocommit connection; every step is idempotent.
    """
    for kind, login in (("provisioner", provisioner), ("app", app)):
        name = sql.Identifier(login.name)
        found = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (login.name,))
        verb = "ALTER" if found.fetchone() else "CREATE"
        statement = sql.SQL(verb + " ROLE {} WITH " + _ATTRIBUTES[kind]).format(name)
        if login.password is not None:
            statement = sql.SQL("{} PASSWORD {}").format(statement, sql.Literal(login.password))
        conn.execute(statement)
    # DROP DATABASE ... WITH (FORCE) ends the app's sessions in a tenant database.
    conn.execute(sql.SQL("GRANT pg_signal_backend TO {}").format(sql.Identifier(provisioner.name)))
    if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone():
        conn.execute(
            sql.SQL("CREATE DATABASE {} OWNER {}").format(
                sql.Identifier(database), sql.Identifier(provisioner.name)
            )
        )
    ensure_vector_extension(conn, "template1")
    db = sql.Identifier(database)
    conn.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(db))
    # CREATE: devhost keeps its Durable store in a schema of its own in this database.
    conn.execute(
        sql.SQL("GRANT CONNECT, TEMPORARY, CREATE ON DATABASE {} TO {}").format(
            db, sql.Identifier(app.name)
        )
    )


def ensure_vector_extension(
    conn: psycopg.Connection[tuple[object, ...]] | Conn, database: str
) -> None:
    """pgvector (code retrieval's chunk embeddings) in ``database``'s ``extensions`` schema.

    Creating it needs a superuser, so it is installed in ``template1`` here and every tenant
    database the provisioner creates afterwards has it. ``conn`` is the superuser's connection;
    its parameters (its password included, never logged) reach ``database``. In Azure
    the server parameter ``azure.extensions`` must allow VECTOR.
    A server without pgvector gets the schema only (tenant migrations then skip the vectors).
    """
    params = {**conn.info.get_parameters(), "dbname": database}
    if conn.info.password:
        params["password"] = conn.info.password
    with psycopg.connect(**params, autocommit=True) as target:  # type: ignore[arg-type]
        target.execute("CREATE SCHEMA IF NOT EXISTS extensions")
        target.execute("REVOKE CREATE ON SCHEMA extensions FROM PUBLIC")
        target.execute("GRANT USAGE ON SCHEMA extensions TO PUBLIC")
        available = target.execute(
            "SELECT 1 FROM pg_available_extensions WHERE name = 'vector'"
        ).fetchone()
        if available:
            target.execute("CREATE EXTENSION IF NOT EXISTS vector WITH SCHEMA extensions")


def grant_app_role(conn: Conn, app_role: str) -> None:
    """Give the app's login DML on the platform schema (after each platform migration run)."""
    app = sql.Identifier(app_role)
    conn.execute(sql.SQL("GRANT USAGE ON SCHEMA platform TO {}").format(app))
    conn.execute(
        sql.SQL(
            "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA platform TO {}"
        ).format(app)
    )
    conn.execute(
        sql.SQL("GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA platform TO {}").format(app)
    )


def ensure_entra_login(conn: Conn, name: str, object_id: str) -> None:
    """Azure: the app's login ``name`` for the Entra ID service principal ``object_id`` (its
    managed identity), created as a plain role — not an Entra administrator, so it can create
    no roles or databases — with Azure's ``pgaadauth_create_principal_with_oid``, which only an
    Entra administrator (the provisioner) may call; then NOINHERIT, as the local app login, so
    that the tenant roles granted to it reach nothing until it switches to one.

    Idempotent. ``ConfigurationError`` when the role may create roles or databases, or cannot be
    made NOINHERIT: the app must not run with a login that reaches every tenant."""
    row = conn.execute(
        "SELECT rolinherit AS inherit, rolcreaterole OR rolcreatedb OR rolsuper AS admin"
        " FROM pg_roles WHERE rolname = %s",
        (name,),
    ).fetchone()
    if row is None:
        conn.execute(
            "SELECT pgaadauth_create_principal_with_oid(%s, %s, 'service', false, false)",
            (name, object_id),
        )
        row = {"inherit": True, "admin": False}
    if row["admin"]:
        raise ConfigurationError(
            f"the app's database login {name!r} may create roles or databases: it must be a"
            " plain login, not an Entra ID administrator of the server"
        )
    if row["inherit"]:
        try:
            conn.execute(sql.SQL("ALTER ROLE {} NOINHERIT").format(sql.Identifier(name)))
        except psycopg.errors.InsufficientPrivilege as exc:
            raise ConfigurationError(
                f"the provisioner cannot make the app's login {name!r} NOINHERIT: {exc}"
            ) from exc
