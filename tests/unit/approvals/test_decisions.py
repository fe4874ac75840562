"""Deciding on a task: recorded first, judged on linked identities, first decision wins; and the
flow's check of an ``approval`` event against the record (``forgery``)."""

from __future__ import annotations

import dataclasses
import uuid

import pytest

from shared.auth.entra import Principal
from shared.domain.approval import IdentityLink, TaskUnderDecision
from shared.domain.errors import Conflict, InvalidInput, PermissionDenied
from shared.domain.task import TaskStatus
from shared.ports.approvals import FakeApprovalStore
from shared.services.approvals import ApprovalService, forgery
from shared.services.identities import IdentityLinks
from tests.unit.llm.conftest import InMemoryTenants

REQUESTER_OID = str(uuid.uuid4())
LEAD_OID = str(uuid.uuid4())
TASK = TaskUnderDecision("t-1", "github", "Octo-Dev", TaskStatus.AWAITING_APPROVAL)


def principal(oid: str, name: str, *roles: str) -> Principal:
    return Principal(oid, name, "directory", frozenset(roles or ("Approver",)))


@pytest.fixture
def store() -> FakeApprovalStore:
    store = FakeApprovalStore()
    for tenant in ("acme", "globex"):
        store.tasks[tenant] = {TASK.id: TASK}
    store.link("acme", IdentityLink("github", "octo-dev", REQUESTER_OID, "admin"))
    store.link("acme", IdentityLink("github", "octo-lead", LEAD_OID, "admin"))
    return store


@pytest.fixture
def tenants() -> InMemoryTenants:
    tenants = InMemoryTenants()
    tenants.provision("acme", "Acme")
    tenants.provision("globex", "Globex")
    return tenants


@pytest.fixture
def service(store, tenants) -> ApprovalService:
    return ApprovalService(tenants, store)


def test_linked_approver_decision_is_recorded_with_roles_links_and_audit(service, store) -> None:
    lead = principal(LEAD_OID, "lead@contoso.example")
    decided = service.decide("acme", "t-1", lead, "approve", "ok")

    assert store.decision("acme", decided.id) == decided
    assert (decided.principal, decided.object_id, decided.roles) == (
        "lead@contoso.example",
        LEAD_OID,
        ("Approver",),
    )
    assert decided.linked == (("github", "octo-lead"),)
    assert store.audited[-1][:2] == ("acme", "approval.submitted")
    assert store.audited[-1][2]["decision_id"] == decided.id


def test_requester_is_refused_through_a_link_whatever_their_entra_name(service, store) -> None:
    someone = principal(REQUESTER_OID, "totally-different@fabrikam.example")
    with pytest.raises(PermissionDenied) as refused:
        service.decide("acme", "t-1", someone, "approve", "")
    assert refused.value.code == "requester-cannot-approve"
    assert store.decisions == {}


def test_approver_without_a_link_is_refused_unless_the_policy_allows(
    service, store, tenants
) -> None:
    # The old guess would have taken this name's local part for the requester's login: now an
    # unlinked name means nothing either way.
    unlinked = principal(str(uuid.uuid4()), "octo-dev@contoso.example")
    with pytest.raises(PermissionDenied) as refused:
        service.decide("acme", "t-1", unlinked, "approve", "")
    assert (refused.value.http_status, refused.value.code) == (403, "identity-not-linked")

    tenants.update_settings("acme", {"approvals": {"allow_unlinked_approvers": True}})
    assert service.decide("acme", "t-1", unlinked, "approve", "").linked == ()


def test_another_tenants_link_has_no_effect(service, store) -> None:
    # The lead is linked in acme only: in globex they are an unlinked approver...
    lead = principal(LEAD_OID, "lead@contoso.example")
    with pytest.raises(PermissionDenied) as refused:
        service.decide("globex", "t-1", lead, "approve", "")
    assert refused.value.code == "identity-not-linked"
    # ... and a link of the requester's account in globex does not bind acme.
    store.link("globex", IdentityLink("github", "octo-dev", LEAD_OID, "admin"))
    assert service.decide("acme", "t-1", lead, "approve", "").decision == "approve"


def test_first_decision_wins_and_later_ones_are_already_decided(service, store) -> None:
    ops_oid = str(uuid.uuid4())
    store.link("acme", IdentityLink("github", "octo-ops", ops_oid, "admin"))
    lead = principal(LEAD_OID, "lead@contoso.example")
    ops = principal(ops_oid, "ops@contoso.example")
    first = service.decide("acme", "t-1", lead, "approve", "")
    for who, decision in ((ops, "approve"), (ops, "reject"), (lead, "reject")):
        with pytest.raises(Conflict) as late:
            service.decide("acme", "t-1", who, decision, "")
        assert (late.value.http_status, late.value.code) == (409, "already-decided")
    # The same approver sending the same decision again gets it back (its event may be lost).
    assert service.decide("acme", "t-1", lead, "approve", "") == first
    assert len(store.decisions["acme"]) == 1
    # ... but not once the task has moved on.
    store.tasks["acme"]["t-1"] = dataclasses.replace(TASK, status=TaskStatus.COMPLETED)
    with pytest.raises(Conflict) as after:
        service.decide("acme", "t-1", lead, "approve", "")
    assert after.value.code == "already-decided"


def test_viewer_cannot_decide_and_a_task_not_waiting_is_409(service, store) -> None:
    with pytest.raises(PermissionDenied):
        service.decide("acme", "t-1", principal(LEAD_OID, "lead", "Viewer"), "approve", "")
    store.tasks["acme"]["t-1"] = dataclasses.replace(TASK, status=TaskStatus.RUNNING)
    with pytest.raises(Conflict) as early:
        service.decide("acme", "t-1", principal(LEAD_OID, "lead"), "approve", "")
    assert early.value.code == "not-awaiting-approval"


def test_forgery_accepts_only_a_recorded_decision_of_this_task_by_an_approver(
    service, store
) -> None:
    lead = principal(LEAD_OID, "lead@contoso.example")
    decided = service.decide("acme", "t-1", lead, "approve", "")
    links = store.links("acme", object_id=LEAD_OID)

    assert forgery(decided, TASK, links, allow_unlinked=False) is None
    assert forgery(None, TASK, [], allow_unlinked=False) == "unknown-decision"
    other = dataclasses.replace(TASK, id="t-2")
    assert forgery(decided, other, links, allow_unlinked=False) == "decision-of-another-task"
    viewer = dataclasses.replace(decided, roles=("Viewer",))
    assert forgery(viewer, TASK, links, allow_unlinked=False) == "not-an-approver"
    # A link added after the decision that shows the decider is the requester still stops it.
    now = [*links, IdentityLink("github", "octo-dev", LEAD_OID, "admin")]
    assert forgery(decided, TASK, now, allow_unlinked=False) == "requester-cannot-approve"


def test_identity_links_need_a_tenant_admin_and_valid_input(store) -> None:
    links = IdentityLinks(store)
    admin = principal(str(uuid.uuid4()), "admin@contoso.example", "TenantAdmin")
    with pytest.raises(PermissionDenied):
        links.link("acme", principal(LEAD_OID, "lead"), "github", "x", {"object_id": LEAD_OID})
    made = links.link("acme", admin, "github", "  New-User ", {"object_id": LEAD_OID.upper()})
    assert (made["scm_user"], made["object_id"], made["linked_by"]) == (
        "new-user",
        LEAD_OID,
        "admin@contoso.example",
    )
    for provider, user, body, code in (
        ("bitbucket", "x", {"object_id": LEAD_OID}, "invalid-provider"),
        ("github", "", {"object_id": LEAD_OID}, "invalid-scm-user"),
        ("github", "x", {"object_id": "not-a-guid"}, "invalid-object-id"),
        ("github", "x", {"object_id": LEAD_OID, "extra": 1}, "invalid-body"),
    ):
        with pytest.raises(InvalidInput) as bad:
            links.link("acme", admin, provider, user, body)
        assert bad.value.code == code
    links.unlink("acme", admin, "github", "NEW-USER")
    assert ("github", "new-user") not in {k.identity for k in store.links("acme")}
