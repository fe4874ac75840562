"""Provisioning: a database, a role and a schema per tenant, created resumably and dropped
again; the app reaches them through bounded pools opened on first use."""

from __future__ import annotations

import secrets
import time

import psycopg
import pytest
from psycopg import sql

from shared.adapters.store.postgres.database import Database, PoolLimits
from shared.adapters.store.postgres.tenants import PostgresTenantDirectory
from shared.domain.errors import Conflict, InvalidTenantSlug, TenantBusy, TenantNotFound


def _insert_task(conn: psycopg.Connection, task_id: str) -> None:
    conn.execute(
        "INSERT INTO tasks (id, provider, repository, source_kind, source_id, command, requester)"
        " VALUES (%s, 'github', 'o/r', 'issue', '1', 'fix', 'u')",
        (task_id,),
    )


def _server_objects(admin_db: Database, location) -> dict[str, object]:
    with admin_db.connection() as conn:
        row = conn.execute(
            "SELECT (SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s) AS owner,"
            " (SELECT rolcanlogin FROM pg_roles WHERE rolname = %s) AS role_can_login",
            (location.database, location.role),
        ).fetchone()
    assert row is not None
    return row


def test_provisioning_creates_a_database_and_role_and_deprovisioning_drops_them(
    db: Database, admin_db: Database, tenant_directory, new_tenant
) -> None:
    tenant = new_tenant("gone")
    location = tenant_directory.locate(tenant.slug)
    assert location.database == location.role.replace("-", "_")
    assert _server_objects(admin_db, location) == {
        "owner": admin_db.login_role(),
        "role_can_login": False,
    }
    with db.tenant_transaction(location) as tx:
        _insert_task(tx.conn, "running-1")
        tx.conn.execute("UPDATE tasks SET status = 'running'")
    with pytest.raises(TenantBusy):
        tenant_directory.deprovision(tenant.slug)
    assert tenant_directory.get(tenant.slug).slug == tenant.slug
    with db.tenant_transaction(location) as tx:
        tx.conn.execute("UPDATE tasks SET status = 'completed'")
    tenant_directory.deprovision(tenant.slug)
    with pytest.raises(TenantNotFound):
        tenant_directory.get(tenant.slug)
    assert _server_objects(admin_db, location) == {"owner": None, "role_can_login": None}
    with db.connection() as conn:
        rows = conn.execute(
            "SELECT count(*) AS n FROM platform.schema_migrations WHERE scope = %s",
            (f"tenant:{tenant.slug}",),
        ).fetchone()
    assert rows == {"n": 0}


def test_an_interrupted_provisioning_is_resumed_by_provisioning_again(
    db: Database, admin_db: Database, as_owner, tenant_directory, new_tenant, role_prefix
) -> None:
    tenant = new_tenant("resume")
    location = tenant_directory.locate(tenant.slug)
    # The process that died is not the one resuming: a directory that has not located it yet.
    tenant_directory = PostgresTenantDirectory(db, role_prefix=role_prefix, admin=admin_db)
    # As if the process died after creating the database, before the schema and migrations.
    with admin_db.connection() as conn:
        conn.execute(
            "UPDATE platform.tenants SET provisioned_at = NULL WHERE slug = %s", (tenant.slug,)
        )
    with as_owner(location) as conn:
        conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(location.schema)))
        conn.execute("DROP SCHEMA migrations CASCADE")
    with pytest.raises(TenantNotFound, match="still being provisioned"):
        tenant_directory.locate(tenant.slug)
    assert tenant_directory.provision(tenant.slug, "Resumed").slug == tenant.slug
    with db.tenant_transaction(tenant_directory.locate(tenant.slug)) as tx:
        _insert_task(tx.conn, "after-resume")
        assert tx.conn.execute("SELECT count(*) AS n FROM tasks").fetchone() == {"n": 1}


def test_a_clashing_role_is_refused_and_leaves_nothing_half_applied(
    admin_db: Database, tenant_directory, role_prefix
) -> None:
    slug = f"half-{secrets.token_hex(3)}"
    with admin_db.connection() as conn:
        conn.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(role_prefix + slug)))
    try:
        with pytest.raises(Conflict):
            tenant_directory.provision(slug, "half")
        with admin_db.connection() as conn:
            row = conn.execute(
                "SELECT (SELECT count(*) FROM platform.tenants WHERE slug = %s) AS tenants,"
                " (SELECT count(*) FROM pg_database WHERE datname = %s) AS databases",
                (slug, role_prefix + slug.replace("-", "_")),
            ).fetchone()
        assert row == {"tenants": 0, "databases": 0}
    finally:
        with admin_db.connection() as conn:
            conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role_prefix + slug)))


@pytest.mark.parametrize(
    "slug",
    ["A-upper", "1starts-with-digit", "x", "has_underscore", "semi;colon", 'q"uote', "a" * 42, ""],
)
def test_invalid_slug_is_refused_and_nothing_is_created(db, tenant_directory, slug) -> None:
    with pytest.raises(InvalidTenantSlug):
        tenant_directory.provision(slug, "bad")
    with db.connection() as conn:
        row = conn.execute("SELECT count(*) AS n FROM platform.tenants WHERE slug = %s", (slug,))
        assert row.fetchone()["n"] == 0


def test_duplicate_tenant_is_a_conflict(tenant_directory, new_tenant) -> None:
    tenant = new_tenant("dup")
    with pytest.raises(Conflict):
        tenant_directory.provision(tenant.slug, "again")


def test_tenant_pools_are_opened_lazily_and_bounded(
    database_url: str, admin_db: Database, tenant_directory, new_tenant
) -> None:
    """Three tenants, room for two pools of one connection: the least recently used closes."""
    locations = [tenant_directory.locate(new_tenant("pool").slug) for _ in range(3)]
    limits = PoolLimits(min_size=0, max_size=1, tenant_max_size=1, tenant_max_connections=2)
    bounded = Database(database_url, limits=limits)
    bounded.open()
    try:
        # Provisioning's own sessions are closed; their backends exit right after the client.
        assert _drained(admin_db, locations)
        for location in [*locations, locations[0]]:
            with bounded.tenant_transaction(location) as tx:
                assert tx.conn.execute("SELECT count(*) AS n FROM tasks").fetchone() == {"n": 0}
            assert _connections(admin_db, locations) <= 2
        # The least recently used pool was closed (its backend exits right after the client).
        assert _drained(admin_db, locations[1:2])
    finally:
        bounded.close()


def _drained(admin_db: Database, locations) -> bool:
    """Whether no session is open in these tenants' databases within 10 s."""
    deadline = time.monotonic() + 10
    while _connections(admin_db, locations) and time.monotonic() < deadline:
        time.sleep(0.05)
    return _connections(admin_db, locations) == 0


def _connections(admin_db: Database, locations) -> int:
    with admin_db.connection() as conn:
        row = conn.execute(
            "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = ANY(%s)",
            ([loc.database for loc in locations],),
        ).fetchone()
    assert row is not None
    return int(row["n"])


def test_a_tenant_being_provisioned_elsewhere_is_busy_not_provisioned_twice(
    admin_db: Database, tenant_directory
) -> None:
    slug = f"busy-{secrets.token_hex(3)}"
    with admin_db.connection() as other_process:
        other_process.execute("SELECT pg_advisory_lock(hashtext(%s))", (f"provision:{slug}",))
        with pytest.raises(Conflict) as refused:
            tenant_directory.provision(slug, "busy")
        other_process.execute("SELECT pg_advisory_unlock_all()")
    assert refused.value.code == "tenant-busy"
    with pytest.raises(TenantNotFound):
        tenant_directory.get(slug)
    assert tenant_directory.provision(slug, "busy").slug == slug


def test_an_empty_database_created_beforehand_is_adopted(
    db: Database, admin_db: Database, tenant_directory, role_prefix
) -> None:
    """As in Azure, where the TenantStack creates the tenant's database."""
    slug = f"pre-{secrets.token_hex(3)}"
    database = role_prefix + slug.replace("-", "_")
    with admin_db.connection() as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    tenant_directory.provision(slug, "pre")
    location = tenant_directory.locate(slug)
    assert location.database == database
    with db.tenant_transaction(location) as tx:
        assert tx.conn.execute("SELECT count(*) AS n FROM tasks").fetchone() == {"n": 0}
