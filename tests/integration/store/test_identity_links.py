"""Identity links and approval records in PostgreSQL: per tenant, append-only decisions, and
the operator's CLI."""

from __future__ import annotations

import json
import secrets
import uuid
from datetime import UTC, datetime

import psycopg
import pytest

from shared.adapters.store.postgres.approvals import PostgresApprovalStore
from shared.adapters.store.postgres.audit import PostgresAuditLog
from shared.domain.approval import ApprovalDecision, IdentityLink
from shared.domain.errors import Conflict, NotFound
from tools.admin.__main__ import main


@pytest.fixture
def store(db, tenant_directory) -> PostgresApprovalStore:
    return PostgresApprovalStore(db, tenant_directory, PostgresAuditLog(db, tenant_directory))


def _tenant(tenant_directory) -> str:
    slug = f"ids-{secrets.token_hex(3)}"
    tenant_directory.provision(slug, slug)
    return slug


def _awaiting_task(db, tenant_directory, slug: str, task_id: str = "t-1") -> None:
    with db.tenant_transaction(tenant_directory.locate(slug)) as tx:
        tx.conn.execute(
            "INSERT INTO tasks (id, provider, repository, source_kind, source_id, command,"
            " requester, status) VALUES (%s, 'github', 'o/r', 'issue', '1', 'fix', 'Octo-Dev',"
            " 'awaiting_approval')",
            (task_id,),
        )


def _decision(task_id: str = "t-1", principal: str = "lead@x") -> ApprovalDecision:
    return ApprovalDecision(
        str(uuid.uuid4()),
        task_id,
        "approve",
        "api",
        principal,
        str(uuid.uuid4()),
        ("Approver",),
        (("github", "octo-lead"),),
        "",
        datetime.now(UTC),
    )


def test_links_are_per_tenant_and_audited(store, db, tenant_directory) -> None:
    acme, globex = _tenant(tenant_directory), _tenant(tenant_directory)
    person = str(uuid.uuid4())
    store.link(acme, IdentityLink("github", "octo-dev", person, "admin@acme"))
    store.link(acme, IdentityLink("gitlab", "dev", person, "admin@acme"))

    assert [k.identity for k in store.links(acme, object_id=person)] == [
        ("github", "octo-dev"),
        ("gitlab", "dev"),
    ]
    assert store.links(globex) == [] and store.links(globex, object_id=person) == []
    with store.begin(globex) as tx:
        assert tx.links_of(person) == []

    replaced = store.link(acme, IdentityLink("github", "octo-dev", str(uuid.uuid4()), "a@acme"))
    assert [k.identity for k in store.links(acme, object_id=person)] == [("gitlab", "dev")]
    assert replaced.linked_at is not None
    store.unlink(acme, "github", "octo-dev", actor="admin@acme")
    with pytest.raises(NotFound):
        store.unlink(acme, "github", "octo-dev", actor="admin@acme")
    with pytest.raises(NotFound):
        store.unlink(globex, "gitlab", "dev", actor="admin@globex")  # acme's link stays
    exported = PostgresAuditLog(db, tenant_directory).export(acme)
    kinds = [json.loads(line)["kind"] for line in exported]
    assert kinds.count("identity.linked") == 3 and kinds.count("identity.unlinked") == 1


def test_one_decision_per_task_and_decisions_cannot_be_changed(store, db, tenant_directory) -> None:
    slug, other = _tenant(tenant_directory), _tenant(tenant_directory)
    _awaiting_task(db, tenant_directory, slug)
    first = _decision()
    with store.begin(slug) as tx:
        assert tx.task("t-1").requester_identity == ("github", "octo-dev")
        tx.add(first)
    with pytest.raises(Conflict) as late, store.begin(slug) as tx:
        tx.add(_decision(principal="someone-else@x"))
    assert late.value.code == "already-decided"
    assert store.decision(slug, first.id) == first
    assert store.decision(other, first.id) is None  # another tenant cannot see it
    assert store.decision(slug, "not-a-uuid") is None

    for statement in (
        "UPDATE approval_events SET decision = 'reject'",
        "DELETE FROM approval_events",
    ):
        location = tenant_directory.locate(slug)
        with (
            pytest.raises(psycopg.errors.InsufficientPrivilege),
            db.tenant_transaction(location) as tx,
        ):
            tx.conn.execute(statement)
    assert store.decision(slug, first.id) == first


def test_operator_links_identities_from_the_command_line(
    capsys, monkeypatch, database_url, role_prefix, store, tenant_directory
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("TENANT_ROLE_PREFIX", role_prefix)
    slug = _tenant(tenant_directory)
    person = str(uuid.uuid4())
    assert main(["identities", "link", slug, "github", "Octo-Dev", person]) == 0
    assert main(["identities", "list", slug]) == 0
    assert f"github\tocto-dev\t{person}" in capsys.readouterr().out
    assert store.links(slug)[0].linked_by == "operator (tools.admin)"
    assert main(["identities", "link", slug, "github", "x", "not-a-guid"]) == 2
    assert capsys.readouterr().err.startswith("error: invalid-object-id:")
    assert main(["identities", "unlink", slug, "github", "octo-dev"]) == 0
    assert main(["identities", "unlink", slug, "github", "octo-dev"]) == 2
    assert "identity-link-not-found" in capsys.readouterr().err
