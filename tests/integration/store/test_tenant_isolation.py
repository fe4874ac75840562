"""Isolation is enforced by PostgreSQL: each tenant's data is in a database of its own, reached
as the tenant's role, and shedding that role reaches nothing.

The app logs in as a role that owns nothing and inherits no tenant role (tests/conftest.py), as
it does everywhere. An SQL injection inside a tenant transaction is modelled by running the
attacker's statements on the transaction's own connection.
"""

from __future__ import annotations

import secrets

import psycopg
import pytest
from psycopg import sql

from shared.adapters.store.postgres.database import Database
from shared.adapters.store.postgres.tenants import PostgresTenantDirectory
from shared.domain.tenant import TenantLocation


@pytest.fixture(scope="module")
def three(db: Database, tenant_directory: PostgresTenantDirectory) -> list[TenantLocation]:
    """Three tenants with one task each."""
    locations = []
    for n in "abc":
        slug = f"iso{n}-{secrets.token_hex(3)}"
        tenant_directory.provision(slug, slug)
        location = tenant_directory.locate(slug)
        with db.tenant_transaction(location) as tx:
            _insert_task(tx.conn, None, f"own-{slug}")
        locations.append(location)
    return locations


def _insert_task(conn: psycopg.Connection, schema: str | None, task_id: str) -> None:
    table = sql.Identifier(schema, "tasks") if schema else sql.Identifier("tasks")
    conn.execute(
        sql.SQL(
            "INSERT INTO {} (id, provider, repository, source_kind, source_id, command, requester)"
            " VALUES (%s, 'github', 'o/r', 'issue', '1', 'fix', 'u')"
        ).format(table),
        (task_id,),
    )


def test_each_tenant_works_in_its_own_database_as_its_own_role(db: Database, three) -> None:
    for location in three:
        with db.tenant_transaction(location) as tx:
            row = tx.conn.execute(
                "SELECT current_database() AS db, current_user AS role,"
                " (SELECT array_agg(id) FROM tasks) AS ids"
            ).fetchone()
        assert row == {
            "db": location.database,
            "role": location.role,
            "ids": [f"own-{location.slug}"],
        }


@pytest.mark.parametrize(
    ("reader", "owner"), [(r, o) for r in range(3) for o in range(3) if r != o]
)
@pytest.mark.parametrize("operation", ["select", "insert", "update", "delete"])
def test_no_tenant_reaches_another_tenants_tables(
    db: Database, three, reader: int, owner: int, operation: str
) -> None:
    me, other = three[reader], three[owner]
    table = sql.Identifier(other.schema, "tasks")
    statements = {
        "select": sql.SQL("SELECT * FROM {}").format(table),
        "update": sql.SQL("UPDATE {} SET status = 'failed'").format(table),
        "delete": sql.SQL("DELETE FROM {}").format(table),
    }
    # The other tenant's tables are not in this database at all.
    with pytest.raises(psycopg.errors.UndefinedTable), db.tenant_transaction(me) as tx:
        if operation == "insert":
            _insert_task(tx.conn, other.schema, "intruder")
        else:
            tx.conn.execute(statements[operation])
    with db.tenant_transaction(other) as tx:
        rows = tx.conn.execute("SELECT id, status FROM tasks").fetchall()
    assert rows == [{"id": f"own-{other.slug}", "status": "queued"}]


def test_a_tenant_role_may_connect_only_to_its_own_database(admin_db: Database, three) -> None:
    databases = [loc.database for loc in three] + [admin_db.database_name]
    with admin_db.connection() as conn:
        for location in three:
            allowed = conn.execute(
                "SELECT array_agg(d ORDER BY d) AS dbs FROM unnest(%s::text[]) d"
                " WHERE has_database_privilege(%s, d, 'CONNECT')",
                (databases, location.role),
            ).fetchone()
            assert allowed == {"dbs": [location.database]}
            public = conn.execute(
                "SELECT has_database_privilege('public', %s, 'CONNECT') AS c", (location.database,)
            ).fetchone()
            assert public == {"c": False}


ESCAPES = {
    "reset role": lambda other: "RESET ROLE",
    "set role none": lambda other: "SET ROLE NONE",
    "set local role none": lambda other: "SET LOCAL ROLE NONE",
    "session authorization default": lambda other: "SET SESSION AUTHORIZATION DEFAULT",
    "another tenant's role": lambda other: f'SET ROLE "{other.role}"',
}
ATTEMPTS = {
    "read own tasks": ('SELECT * FROM "{}".tasks', psycopg.errors.InsufficientPrivilege),
    "write own tasks": (
        "UPDATE \"{}\".tasks SET status = 'failed'",
        psycopg.errors.InsufficientPrivilege,
    ),
    "read own audit": ('SELECT * FROM "{}".audit_events', psycopg.errors.InsufficientPrivilege),
    "read the platform": ("SELECT * FROM platform.tenants", psycopg.errors.UndefinedTable),
    "create a table": ("CREATE TABLE public.loot (x text)", psycopg.errors.InsufficientPrivilege),
    "create a schema": ("CREATE SCHEMA loot", psycopg.errors.InsufficientPrivilege),
    # Absent from the embedded server (FeatureNotSupported); refused where installed.
    "load dblink": (
        "CREATE EXTENSION dblink",
        (psycopg.errors.InsufficientPrivilege, psycopg.errors.FeatureNotSupported),
    ),
}


@pytest.mark.parametrize("escape", ESCAPES)
@pytest.mark.parametrize("attempt", ATTEMPTS)
def test_shedding_the_tenant_role_reaches_nothing(
    db: Database, three, escape: str, attempt: str
) -> None:
    me, other = three[0], three[1]
    statement, refused = ATTEMPTS[attempt]
    with pytest.raises(refused), db.tenant_transaction(me) as tx:
        tx.conn.execute(ESCAPES[escape](other))
        assert tx.conn.execute("SELECT current_user AS u").fetchone()["u"] != me.role
        tx.conn.execute(statement.format(me.schema))


@pytest.mark.parametrize("who", ["the provisioner", "a superuser", "another tenant's role"])
def test_session_authorization_cannot_be_taken(db: Database, admin_db, three, who: str) -> None:
    target = {
        "the provisioner": admin_db.login_role(),
        "a superuser": "postgres",
        "another tenant's role": three[1].role,
    }[who]
    with pytest.raises(psycopg.errors.InsufficientPrivilege), db.tenant_transaction(three[0]) as tx:
        tx.conn.execute(sql.SQL("SET SESSION AUTHORIZATION {}").format(sql.Identifier(target)))


def test_the_app_login_owns_nothing_and_inherits_no_tenant_role(db: Database, three) -> None:
    with db.connection() as conn:
        row = conn.execute(
            "SELECT rolsuper, rolinherit, rolcreatedb, rolcreaterole, rolbypassrls"
            " FROM pg_roles WHERE rolname = session_user"
        ).fetchone()
        assert row == dict.fromkeys(row, False)
        for location in three:
            may = conn.execute(
                "SELECT pg_has_role(session_user, %s, 'USAGE') AS inherits,"
                " pg_has_role(session_user, %s, 'MEMBER') AS may_switch",
                (location.role, location.role),
            ).fetchone()
            assert may == {"inherits": False, "may_switch": True}


def test_a_shed_role_does_not_outlive_its_transaction(db: Database, three) -> None:
    with db.tenant_transaction(three[0]) as tx:
        tx.conn.execute("SET ROLE NONE")  # session-level, as an injection could
        tx.conn.execute("SET search_path TO public")
    for _ in range(8):  # whichever pooled connection comes next
        with db.tenant_transaction(three[0]) as tx:
            row = tx.conn.execute(
                "SELECT current_user AS u, (SELECT count(*) FROM tasks) AS n"
            ).fetchone()
            assert row == {"u": three[0].role, "n": 1}


def test_tenant_connections_keep_no_prepared_statements(db: Database, three) -> None:
    """PgBouncer in transaction mode: nothing may outlive a transaction on the server."""
    for _ in range(10):
        with db.tenant_transaction(three[2]) as tx:
            tx.conn.execute("SELECT id FROM tasks WHERE id = %s", ("x",))
            prepared = tx.conn.execute("SELECT count(*) AS n FROM pg_prepared_statements")
            assert prepared.fetchone() == {"n": 0}
