"""The migration runner: idempotent, recorded, checksummed, all-or-nothing."""

from __future__ import annotations

import secrets
import threading
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from shared.adapters.store.postgres.migrations import (
    Migration,
    load_migrations,
    migrate_platform,
    migrate_tenant,
    pending_migrations,
)
from shared.domain.errors import MigrationChecksumMismatch, MigrationError
from tests.conftest import with_database


@pytest.fixture
def empty_db(server_url: str):
    name = f"m_{secrets.token_hex(4)}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield with_database(server_url, name)
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


def _write(directory: Path, files: dict[str, str]) -> None:
    (directory / "platform").mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (directory / "platform" / name).write_text(text)


def _migrate(url: str, directory: Path | None = None) -> list[str]:
    with psycopg.connect(url, autocommit=True) as conn, conn.transaction():
        conn.row_factory = psycopg.rows.dict_row
        migrations = load_migrations("platform", directory) if directory else None
        return migrate_platform(conn, migrations)


def test_second_run_applies_nothing_and_nothing_is_pending(empty_db) -> None:
    assert _migrate(empty_db)
    assert _migrate(empty_db) == []
    with psycopg.connect(empty_db, row_factory=psycopg.rows.dict_row) as conn:
        assert pending_migrations(conn) == []


def test_concurrent_starts_apply_each_migration_once(empty_db) -> None:
    results: list[list[str]] = []
    threads = [
        threading.Thread(target=lambda: results.append(_migrate(empty_db))) for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(len(r) for r in results)[:-1] == [0, 0, 0]


def test_edited_applied_migration_is_refused(empty_db, tmp_path: Path) -> None:
    _write(tmp_path, {"0001_platform.sql": "CREATE TABLE platform.a (x int);"})
    _migrate(empty_db, tmp_path)
    _write(
        tmp_path,
        {
            "0001_platform.sql": "CREATE TABLE platform.a (x int, y int);",
            "0002_more.sql": "CREATE TABLE platform.b (x int);",
        },
    )
    with pytest.raises(MigrationChecksumMismatch, match="0001_platform was edited"):
        _migrate(empty_db, tmp_path)
    with psycopg.connect(empty_db) as conn:
        assert conn.execute("SELECT to_regclass('platform.b')").fetchone() == (None,)


def test_failing_migration_rolls_back_the_whole_run(empty_db, tmp_path: Path) -> None:
    _write(
        tmp_path,
        {"0001_ok.sql": "CREATE TABLE platform.ok (x int);", "0002_bad.sql": "CREATE TABLE ("},
    )
    with pytest.raises(MigrationError, match="0002_bad failed"):
        _migrate(empty_db, tmp_path)
    with psycopg.connect(empty_db) as conn:
        assert conn.execute("SELECT to_regclass('platform.ok')").fetchone() == (None,)


def test_badly_named_migration_file_is_refused(tmp_path: Path) -> None:
    _write(tmp_path, {"1_nope.sql": "SELECT 1;"})
    with pytest.raises(MigrationError, match="bad migration file name"):
        load_migrations("platform", tmp_path)


def test_a_new_tenant_migration_creates_its_table_where_tenant_transactions_see_it(
    db, as_owner, tenant_directory, new_tenant
) -> None:
    location = tenant_directory.locate(new_tenant("upg").slug)
    extra = Migration(9999, "extra", "CREATE TABLE extra (x int);", "0" * 64)
    with as_owner(location) as conn:
        applied = migrate_tenant(conn, location, [*load_migrations("tenant"), extra])
    assert applied == [f"tenant:{location.slug} 9999_extra"]
    with db.tenant_transaction(location) as tx:
        tx.conn.execute("INSERT INTO extra VALUES (1)")
        assert tx.conn.execute("SELECT x FROM extra").fetchall() == [{"x": 1}]


def test_readiness_sees_a_tenant_behind_until_migrate_records_it(
    db, tenant_directory, new_tenant
) -> None:
    tenant = new_tenant("lag")
    with db.connection() as conn:
        assert pending_migrations(conn) == []
    with tenant_directory._admin.connection() as conn:
        conn.execute(
            "DELETE FROM platform.schema_migrations WHERE scope = %s", (f"tenant:{tenant.slug}",)
        )
    with db.connection() as conn:
        assert f"tenant:{tenant.slug}" in pending_migrations(conn)
    assert tenant_directory.migrate() == []  # nothing to apply in its database: only recorded
    with db.connection() as conn:
        assert pending_migrations(conn) == []


def test_an_edited_tenant_migration_is_refused_in_the_tenant_database(
    as_owner, tenant_directory, new_tenant
) -> None:
    location = tenant_directory.locate(new_tenant("edit").slug)
    with as_owner(location) as conn:
        conn.execute("UPDATE migrations.schema_migrations SET checksum = 'x' WHERE version = 1")
    with pytest.raises(MigrationChecksumMismatch, match="0001_tenant was edited"):
        tenant_directory.migrate()
