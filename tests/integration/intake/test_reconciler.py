"""The reconciler on the real database: a task committed at intake whose orchestration start
failed is started; a task without progress is re-driven, then dead-lettered, each step audited
and the audit chain intact."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.adapters.store.postgres.approvals import insert_decision
from shared.adapters.store.postgres.audit import PostgresAuditLog
from shared.adapters.store.postgres.reconcile import PostgresReconcileLedger
from shared.domain.approval import VERIFIED, ApprovalDecision
from shared.domain.errors import Unavailable
from shared.domain.tenant import Tenant, TenantLocation
from shared.services.reconciler import Reconciler, ReconcileReport
from tests.integration.intake.conftest import Intake
from tests.unit.intake.deliveries import github_comment
from tools.admin.__main__ import main as admin


class _OnlyTenants:
    """The directory restricted to this test's tenants (the session has many others)."""

    def __init__(self, intake: Intake, slugs: list[str]) -> None:
        self._directory, self._slugs = intake.directory, slugs

    def list(self) -> list[Tenant]:
        return [self._directory.get(slug) for slug in self._slugs]

    def locate(self, slug: str) -> TenantLocation:
        return self._directory.locate(slug)


def _reconcile(intake: Intake, tenant: str, *, later: timedelta, **options: Any) -> ReconcileReport:
    reconciler = Reconciler(
        tenants=_OnlyTenants(intake, [tenant]),  # type: ignore[arg-type]
        ledger=PostgresReconcileLedger(intake.db, PostgresAuditLog(intake.db, intake.directory)),
        clock=lambda: datetime.now(UTC) + later,
        poll_s=0.01,
        **options,
    )
    return asyncio.run(reconciler.run(intake.orchestrations))


def _unstarted_task(intake: Intake, tenant: str) -> dict[str, Any]:
    intake.orchestrations.unavailable = True
    with pytest.raises(Unavailable):
        intake.send(tenant, github_comment("/agent fix the typo"), delivery_id="d-stuck")
    intake.orchestrations.unavailable = False
    [task] = intake.tasks(tenant)
    assert task["status"] == "queued" and intake.orchestrations.start_calls == []
    return task


def test_a_task_whose_orchestration_start_failed_is_started_by_the_reconciler(
    intake: Intake,
) -> None:
    tenant = intake.tenant()
    task = _unstarted_task(intake, tenant)

    too_soon = _reconcile(intake, tenant, later=timedelta(seconds=0))
    assert too_soon.started == [] and intake.orchestrations.start_calls == []

    report = _reconcile(intake, tenant, later=timedelta(minutes=5))
    assert report.started == [task["id"]]
    assert intake.orchestrations.start_calls == [task["id"]]
    flow, payload = intake.orchestrations.started[task["id"]]
    assert flow == "patch_flow"
    assert (payload["id"], payload["tenant"], payload["instruction"]) == (
        task["id"],
        tenant,
        "the typo",
    )
    assert payload["delivery_id"] == "d-stuck"
    kinds = [e["kind"] for e in intake.audit(tenant)]
    assert kinds == ["task.received", "task.started-by-reconciler"]

    again = _reconcile(intake, tenant, later=timedelta(minutes=5))
    assert again.started == [] and intake.orchestrations.start_calls == [task["id"]]
    assert PostgresAuditLog(intake.db, intake.directory).verify_chain(tenant).ok


def test_a_task_without_progress_is_redriven_then_dead_lettered(
    intake: Intake,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    database_url: str,
    role_prefix: str,
) -> None:
    tenant = intake.tenant()
    result = intake.send(tenant, github_comment("/agent fix the typo"))
    task_id = result.task_id
    intake.tenant_rows(tenant, "UPDATE tasks SET status = %s RETURNING id", "running")
    hours = timedelta(hours=2)

    first = _reconcile(intake, tenant, later=hours, max_redrives=1)
    assert first.redriven == [task_id] and first.dead_lettered == []
    assert intake.orchestrations.terminated == [task_id]
    assert intake.orchestrations.start_calls == [task_id, task_id]

    second = _reconcile(intake, tenant, later=hours, max_redrives=1)
    assert second.dead_lettered == [task_id] and second.dead_letters == 1
    assert intake.orchestrations.terminated == [task_id, task_id]
    [row] = intake.tasks(tenant)
    assert row["status"] == "failed"
    letters = intake.tenant_rows(tenant, "SELECT task_id, error_code FROM dead_letters")
    assert letters == [{"task_id": task_id, "error_code": "no-progress"}]
    kinds = [e["kind"] for e in intake.audit(tenant)]
    assert kinds == ["task.received", "task.redriven", "task.dead-lettered"]
    assert PostgresAuditLog(intake.db, intake.directory).verify_chain(tenant).ok

    third = _reconcile(intake, tenant, later=hours, max_redrives=1)
    assert (third.redriven, third.dead_lettered, third.dead_letters) == ([], [], 1)

    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("TENANT_ROLE_PREFIX", role_prefix)
    assert admin(["dead-letters", tenant]) == 0
    assert capsys.readouterr().out == f"{tenant}\t1\n"


def test_a_stuck_task_whose_delivery_is_gone_becomes_a_dead_letter(intake: Intake) -> None:
    tenant = intake.tenant()
    task = _unstarted_task(intake, tenant)
    intake.tenant_rows(tenant, "UPDATE webhook_deliveries SET body = %s RETURNING id", b"{}")
    report = _reconcile(intake, tenant, later=timedelta(minutes=5))
    assert report.dead_lettered == [task["id"]] and intake.orchestrations.start_calls == []
    assert [e["kind"] for e in intake.audit(tenant)][-1] == "task.dead-lettered"


def _decided(intake: Intake, tenant: str, task_id: str) -> ApprovalDecision:
    """A decision recorded for the task, as the approvals API records it."""
    decision = ApprovalDecision(
        id=str(uuid.uuid4()),
        task_id=task_id,
        decision="approve",
        via="api",
        principal="ada@example.com",
        object_id="ada-object-id",
        roles=("Approver",),
        linked=(),
        comment="",
        decided_at=datetime.now(UTC),
    )
    with intake.db.tenant_transaction(intake.directory.locate(tenant)) as tx:
        assert insert_decision(tx.conn, decision)
    return decision


def test_a_recorded_decision_whose_event_was_never_raised_is_raised_again(
    intake: Intake,
) -> None:
    """The host crashed between recording the decision and raising its event: the task would
    wait for an event nobody raises (the queue and a second approver see it decided)."""
    tenant = intake.tenant()
    task_id = intake.send(tenant, github_comment("/agent fix the typo")).task_id
    intake.tenant_rows(tenant, "UPDATE tasks SET status = %s RETURNING id", "awaiting_approval")
    decision = _decided(intake, tenant, task_id)

    too_soon = _reconcile(intake, tenant, later=timedelta(seconds=0))
    assert too_soon.reraised == [] and intake.orchestrations.events == []

    report = _reconcile(intake, tenant, later=timedelta(minutes=5))
    assert report.reraised == [task_id]
    event = (task_id, "approval", {"decision_id": decision.id})
    assert intake.orchestrations.events == [event]
    audit = [e for e in intake.audit(tenant) if e["kind"] == "approval.reraised-by-reconciler"]
    assert [e["data"] for e in audit] == [{"decision_id": decision.id}]

    intake.orchestrations.finished.add(task_id)  # the instance ended meanwhile
    ended = _reconcile(intake, tenant, later=timedelta(minutes=5))
    assert ended.reraised == [] and intake.orchestrations.events == [event]

    intake.tenant_rows(tenant, "UPDATE tasks SET status = %s RETURNING id", "running")
    intake.orchestrations.finished.discard(task_id)
    moved_on = _reconcile(intake, tenant, later=timedelta(minutes=5))
    assert moved_on.reraised == [] and intake.orchestrations.events == [event]


def test_a_decision_the_orchestration_verified_is_not_raised_again(intake: Intake) -> None:
    """The task stays ``awaiting_approval`` after its orchestration verified the decision (while
    the pull request is opened and retried, until the task finishes): that decision was
    delivered, so neither the ledger nor the reconciler's pass raises it again; the task next to
    it, whose decision's event never came, still gets it."""
    tenant = intake.tenant()
    verified = intake.send(tenant, github_comment("/agent fix the typo", issue=1)).task_id
    lost = intake.send(tenant, github_comment("/agent fix the typo", issue=2)).task_id
    intake.tenant_rows(tenant, "UPDATE tasks SET status = %s RETURNING id", "awaiting_approval")
    delivered, undelivered = _decided(intake, tenant, verified), _decided(intake, tenant, lost)
    location = intake.directory.locate(tenant)
    audit = PostgresAuditLog(intake.db, intake.directory)
    with intake.db.tenant_transaction(location) as tx:
        other = {"decision_id": str(uuid.uuid4())}  # names another decision: proves nothing
        audit.append(tx, kind=VERIFIED, actor="ai-code-agent", data=other, task_id=lost)
        audit.append(tx, kind="approval-forged", actor="ai-code-agent", data={}, task_id=lost)
        audit.append(  # as patch_flow's verify_approval records it
            tx,
            kind=VERIFIED,
            actor="ai-code-agent",
            data={"decision_id": delivered.id, "decision": "approve", "approver": "ada"},
            task_id=verified,
        )
    ledger = PostgresReconcileLedger(intake.db, audit)

    later = datetime.now(UTC) + timedelta(minutes=5)
    assert ledger.undelivered_decisions(location, decided_before=later) == [(lost, undelivered.id)]
    report = _reconcile(intake, tenant, later=timedelta(minutes=5))
    assert report.reraised == [lost]
    assert intake.orchestrations.events == [(lost, "approval", {"decision_id": undelivered.id})]
    reraised = [e for e in intake.audit(tenant) if e["kind"] == "approval.reraised-by-reconciler"]
    assert [e["task_id"] for e in reraised] == [lost]
