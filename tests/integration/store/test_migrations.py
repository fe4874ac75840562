"""The migration runner: idempotent, recorded, checksummed, all-or-nothing."""

from __future__ import annotations

import secrets
import threading
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from shared.adapters.store.postgres.migrations import (
    load_migrations,
    migrate_platform,
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


def test_new_tenant_migration_reaches_existing_tenants(db, tenant_directory, new_tenant) -> None:
    tenant = new_tenant("upg")
    with db.connection() as conn:
        assert pending_migrations(conn) == []
        conn.execute(
            "DELETE FROM platform.schema_migrations WHERE scope = %s AND version = 1",
            (f"tenant:{tenant.slug}",),
        )
        assert f"tenant:{tenant.slug}" in pending_migrations(conn)
        conn.execute(
            "INSERT INTO platform.schema_migrations (scope, version, name, checksum) "
            "SELECT %s, version, name, checksum FROM platform.schema_migrations "
            "WHERE scope = 'platform' AND version = 1",
            (f"tenant:{tenant.slug}",),
        )
    with pytest.raises(MigrationChecksumMismatch), db.transaction() as conn:
        migrate_platform(conn)
