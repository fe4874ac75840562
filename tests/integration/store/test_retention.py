"""Retention on the real database: expired webhook bodies, LLM transcripts and workspaces are
purged per tenant, nothing else changes, and ``tools.admin audit verify`` still passes."""

from __future__ import annotations

import json
import os
import secrets
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

from shared.adapters.store.postgres.audit import PostgresAuditLog
from shared.adapters.store.postgres.database import Database
from shared.adapters.store.postgres.retention import PostgresRetentionStore
from shared.adapters.store.postgres.tenants import PostgresTenantDirectory
from shared.domain.tenant import Tenant, TenantLocation
from shared.services.retention import RetentionPolicy, RetentionService
from tools.admin.__main__ import main as admin

NOW = datetime.now(UTC)


class _OnlyTenants:
    """The directory restricted to this test's tenants (the session has many others)."""

    def __init__(self, directory: PostgresTenantDirectory, slugs: list[str]) -> None:
        self._directory, self._slugs = directory, slugs

    def list(self) -> list[Tenant]:
        return [self._directory.get(slug) for slug in self._slugs]

    def locate(self, slug: str) -> TenantLocation:
        return self._directory.locate(slug)


def _delivery(db: Database, location: TenantLocation, delivery_id: str, age: timedelta) -> None:
    with db.tenant_transaction(location) as tx:
        tx.conn.execute(
            "INSERT INTO webhook_deliveries (provider, delivery_id, event, headers, body,"
            " outcome, received_at) VALUES ('github', %s, 'issue_comment', '{}', %s, 'ignored',"
            " %s)",
            (delivery_id, b'{"secret": "text"}', NOW - age),
        )


def _llm_call(db: Database, location: TenantLocation, age: timedelta) -> str:
    call_id = str(uuid.uuid4())
    with db.tenant_transaction(location) as tx:
        tx.conn.execute(
            "INSERT INTO llm_call_events (id, occurred_at, attempt, provider, endpoint, model,"
            " template_name, template_version, template_hash, parameters, outcome, transcript)"
            " VALUES (%s, %s, 1, 'scripted', 'local', 'demo', 'patch', 1, 'h', '{}', 'ok', %s)",
            (call_id, NOW - age, b"sealed transcript"),
        )
    return call_id


def test_expired_content_is_purged_and_the_audit_chain_still_verifies(
    db: Database,
    admin_db: Database,
    tenant_directory: PostgresTenantDirectory,
    database_url: str,
    role_prefix: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    short = f"ret-{secrets.token_hex(3)}"
    default = f"ret-{secrets.token_hex(3)}"
    retention = {"webhook_bodies_days": 1, "transcripts_days": 2, "workspaces_days": 3}
    tenant_directory.provision(short, short, {"retention": retention})
    tenant_directory.provision(default, default, {})
    audit = PostgresAuditLog(db, tenant_directory)
    for slug in (short, default):
        location = tenant_directory.locate(slug)
        with db.tenant_transaction(location) as tx:
            audit.append(tx, kind="task.received", actor="github:octocat", data={"n": 1})
        _delivery(db, location, "old", timedelta(days=5))
        _delivery(db, location, "new", timedelta(hours=1))
        _llm_call(db, location, timedelta(days=5))
        _llm_call(db, location, timedelta(hours=1))
    work = tmp_path / "work"
    old_copy, new_copy = work / short / "a", work / short / "b"
    for copy in (old_copy, new_copy):
        (copy / "src").mkdir(parents=True)
        (copy / "src" / "app.py").write_text("print(1)\n")
    week_ago = (NOW - timedelta(days=7)).timestamp()
    os.utime(old_copy, (week_ago, week_ago))

    service = RetentionService(
        tenants=_OnlyTenants(tenant_directory, [short, default]),  # type: ignore[arg-type]
        store=PostgresRetentionStore(db, admin_db, audit),
        work_dir=work,
    )
    purged = service.purge()

    assert purged == {short: {"webhook_bodies": 1, "transcripts": 1, "workspaces": 1}}
    rows = []
    for slug in (short, default):
        with db.tenant_transaction(tenant_directory.locate(slug)) as tx:
            rows += [
                {"tenant": slug, **r}
                for r in tx.conn.execute(
                    "SELECT delivery_id, body IS NULL AS purged, body_purged_at IS NOT NULL AS at"
                    " FROM webhook_deliveries ORDER BY delivery_id"
                ).fetchall()
            ]
    expected = {(short, "new"): False, (short, "old"): True}
    expected |= {(default, "new"): False, (default, "old"): False}
    assert {(r["tenant"], r["delivery_id"]): r["purged"] for r in rows} == expected
    assert all(r["at"] == r["purged"] for r in rows)
    with db.tenant_transaction(tenant_directory.locate(short)) as tx:
        kept = tx.conn.execute(
            "SELECT transcript IS NOT NULL AS kept, model FROM llm_call_events ORDER BY occurred_at"
        ).fetchall()
        [event] = tx.conn.execute(
            "SELECT data FROM audit_events WHERE kind = 'retention.purged'"
        ).fetchall()
    assert [(r["kept"], r["model"]) for r in kept] == [(False, "demo"), (True, "demo")]
    assert event["data"]["webhook_bodies"] == 1
    assert not old_copy.exists() and (new_copy / "src" / "app.py").is_file()
    assert service.purge() == {}  # nothing left to purge: no second audit event

    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("TENANT_ROLE_PREFIX", role_prefix)
    for slug in (short, default):
        assert admin(["audit", "verify", slug]) == 0
    assert capsys.readouterr().out.count("audit chain verified") == 2


def test_llm_call_rows_still_refuse_every_change_but_a_transcript_drop(
    db: Database,
    tenant_directory: PostgresTenantDirectory,
    as_owner: Callable[[TenantLocation], AbstractContextManager[psycopg.Connection[Any]]],
) -> None:
    slug = f"ret-{secrets.token_hex(3)}"
    tenant_directory.provision(slug, slug, {})
    location = tenant_directory.locate(slug)
    call_id = _llm_call(db, location, timedelta(days=1))
    for change in ("model = 'other'", "transcript = 'x'", "transcript = NULL, attempt = 2"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege), as_owner(location) as conn:
            conn.execute(f"UPDATE llm_call_events SET {change} WHERE id = %s", (call_id,))
    with pytest.raises(psycopg.errors.InsufficientPrivilege), as_owner(location) as conn:
        conn.execute("DELETE FROM llm_call_events WHERE id = %s", (call_id,))
    with pytest.raises(psycopg.errors.InsufficientPrivilege), db.tenant_transaction(location) as tx:
        tx.conn.execute("UPDATE llm_call_events SET transcript = NULL WHERE id = %s", (call_id,))
    with as_owner(location) as conn:  # what retention does, with the owner's login
        cur = conn.execute("UPDATE llm_call_events SET transcript = NULL WHERE id = %s", (call_id,))
        assert cur.rowcount == 1


def test_a_tenants_retention_settings_fall_back_to_defaults_when_invalid() -> None:
    policy = RetentionPolicy.from_settings(
        {"retention": {"webhook_bodies_days": 0, "transcripts_days": "x", "workspaces_days": 2}}
    )
    assert policy == RetentionPolicy(workspaces_days=2)
    assert RetentionPolicy.from_settings({"retention": json.loads("[]")}) == RetentionPolicy()
