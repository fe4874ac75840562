"""``/agent approve|reject`` comments: recorded as the task's decision before the event is
raised, judged on linked identities, and only the first decision counts."""

from __future__ import annotations

import uuid

from shared.adapters.store.postgres.approvals import PostgresApprovalStore
from shared.adapters.store.postgres.audit import PostgresAuditLog
from shared.domain.approval import IdentityLink
from shared.services.intake import Outcome
from tests.integration.intake.conftest import Intake
from tests.unit.intake.deliveries import github_comment as comment


def _awaiting(intake: Intake, approvers: list[str]) -> tuple[str, str]:
    tenant = intake.tenant({"allowed_approvers": approvers})
    task = intake.send(tenant, comment("/agent fix the typo")).task_id  # by Codertocat
    assert task is not None
    intake.tenant_rows(
        tenant, "UPDATE tasks SET status = %s WHERE id = %s RETURNING id", "awaiting_approval", task
    )
    return tenant, task


def _store(intake: Intake) -> PostgresApprovalStore:
    audit = PostgresAuditLog(intake.db, intake.directory)
    return PostgresApprovalStore(intake.db, intake.directory, audit)


def test_only_the_first_comment_decision_is_recorded_and_raised(intake: Intake) -> None:
    tenant, task = _awaiting(intake, ["alice", "bob"])
    first = intake.send(tenant, comment("/agent approve", user="alice"))
    late = intake.send(tenant, comment("/agent reject no", user="bob"))

    assert (first.outcome, late.outcome, late.reason) == (
        Outcome.APPROVAL_SENT,
        Outcome.IGNORED,
        "already-decided",
    )
    [(_, _, event)] = intake.orchestrations.events
    decision = _store(intake).decision(tenant, event["decision_id"])
    assert decision is not None
    assert (decision.task_id, decision.principal, decision.decision) == (task, "alice", "approve")
    assert decision.linked == (("github", "alice"),)
    refused = intake.audit(tenant)[-1]
    assert (refused["kind"], refused["data"]["reason"]) == ("command.refused", "already-decided")


def test_another_account_linked_to_the_requester_cannot_approve(intake: Intake) -> None:
    tenant, _ = _awaiting(intake, ["octo-alt", "alice"])
    person = str(uuid.uuid4())
    store = _store(intake)
    store.link(tenant, IdentityLink("github", "codertocat", person, "admin"))
    store.link(tenant, IdentityLink("github", "octo-alt", person, "admin"))
    # The same person linked in another tenant changes nothing here.
    elsewhere, _ = _awaiting(intake, ["alice"])
    store.link(elsewhere, IdentityLink("github", "alice", person, "admin"))

    alt = intake.send(tenant, comment("/agent approve", user="octo-alt"))
    assert (alt.outcome, alt.reason) == (Outcome.IGNORED, "self-approval")
    assert intake.orchestrations.events == []
    alice = intake.send(tenant, comment("/agent approve", user="alice"))
    assert alice.outcome is Outcome.APPROVAL_SENT
