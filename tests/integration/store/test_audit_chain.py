"""The audit chain: appended in the change's transaction, tamper-evident, append-only."""

from __future__ import annotations

import itertools
import json

import psycopg
import pytest

from shared.adapters.store.postgres.audit import PostgresAuditLog
from shared.adapters.store.postgres.database import Database


@pytest.fixture
def audit(db: Database, tenant_directory) -> PostgresAuditLog:
    return PostgresAuditLog(db, tenant_directory)


@pytest.fixture
def chained(db, tenant_directory, new_tenant, audit):
    """A tenant with five audit events."""
    tenant = new_tenant("audit")
    location = tenant_directory.locate(tenant.slug)
    for n in range(1, 6):
        with db.tenant_transaction(location) as tx:
            audit.append(tx, kind="step", actor="tester", data={"n": n, "é": "ü"}, task_id="t1")
    return tenant.slug, location


@pytest.fixture
def tamper(as_owner):
    """Tamper as the tables' owner could: bypassing the append-only trigger."""

    def run(location, statement: str, params=()) -> None:
        with as_owner(location) as conn:
            conn.execute("ALTER TABLE audit_events DISABLE TRIGGER USER")
            conn.execute(statement, params)
            conn.execute("ALTER TABLE audit_events ENABLE TRIGGER USER")

    return run


def test_intact_chain_verifies(audit, chained) -> None:
    result = audit.verify_chain(chained[0])
    assert result.ok and result.checked == 5


def test_event_rolls_back_with_the_change_it_records(db, audit, chained) -> None:
    slug, location = chained
    with pytest.raises(RuntimeError), db.tenant_transaction(location) as tx:
        audit.append(tx, kind="doomed", actor="tester", data={})
        raise RuntimeError("the change failed")
    assert audit.verify_chain(slug).checked == 5


@pytest.mark.parametrize("seq", [1, 3, 5])
def test_altered_row_is_detected_at_its_position(tamper, audit, chained, seq) -> None:
    slug, location = chained
    tamper(
        location,
        "UPDATE audit_events SET data = %s WHERE seq = %s",
        (json.dumps({"n": 99}), seq),
    )
    result = audit.verify_chain(slug)
    assert (result.ok, result.broken_at) == (False, seq)


@pytest.mark.parametrize(("seq", "expected"), [(1, 1), (3, 3), (5, 5)])
def test_deleted_row_is_detected(tamper, audit, chained, seq, expected) -> None:
    slug, location = chained
    tamper(location, "DELETE FROM audit_events WHERE seq = %s", (seq,))
    result = audit.verify_chain(slug)
    assert (result.ok, result.broken_at) == (False, expected)


def test_reordered_rows_are_detected(tamper, audit, chained) -> None:
    slug, location = chained
    # Swap the contents of events 2 and 3 (seq stays, so the order of the content changes).
    tamper(location, "UPDATE audit_events SET seq = -2 WHERE seq = 2")
    tamper(location, "UPDATE audit_events SET seq = 2 WHERE seq = 3")
    tamper(location, "UPDATE audit_events SET seq = 3 WHERE seq = -2")
    result = audit.verify_chain(slug)
    assert (result.ok, result.broken_at) == (False, 2)


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_events SET actor = 'x'", "DELETE FROM audit_events", "TRUNCATE audit_events"],
)
def test_tenant_role_cannot_change_audit_rows(db, chained, statement) -> None:
    _, location = chained
    with pytest.raises(psycopg.errors.InsufficientPrivilege), db.tenant_transaction(location) as tx:
        tx.conn.execute(statement)


def test_even_the_owner_is_stopped_by_the_trigger(as_owner, chained) -> None:
    _, location = chained
    with pytest.raises(psycopg.errors.InsufficientPrivilege), as_owner(location) as conn:
        conn.execute("UPDATE audit_events SET actor = %s", ("x",))


def test_tenant_role_cannot_move_the_chain_head(db, chained) -> None:
    _, location = chained
    with pytest.raises(psycopg.errors.InsufficientPrivilege), db.tenant_transaction(location) as tx:
        tx.conn.execute("UPDATE internal_audit_head SET seq = 1")


def test_export_yields_json_lines_in_order(audit, chained) -> None:
    lines = list(audit.export(chained[0]))
    events = [json.loads(line) for line in lines]
    assert [e["seq"] for e in events] == [1, 2, 3, 4, 5]
    assert events[0]["prev_hash"] == "0" * 64
    assert all(b["prev_hash"] == a["hash"] for a, b in itertools.pairwise(events))
    assert events[2]["data"] == {"n": 3, "é": "ü"}
