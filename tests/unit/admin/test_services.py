"""The admin use cases over in-memory fakes: the approvals queue rule, who may cancel, and
usage totals that are the sum of the LLM lineage rows."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared.auth.entra import Principal
from shared.domain.approval import IdentityLink
from shared.domain.errors import Conflict, PermissionDenied
from shared.policies.rbac import app_roles, granted
from shared.ports.admin import FakeAdminReads
from shared.ports.approvals import FakeApprovalStore
from shared.ports.keys import FakeKeyProvider
from shared.services.admin.access import Caller
from shared.services.admin.reports import UsageReports
from shared.services.admin.tasks import TaskAdmin
from tests.unit.llm.conftest import InMemoryTenants

WHEN = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def caller(oid: str, *roles: str) -> Caller:
    return Caller(
        Principal(oid, f"{oid}@x.example", "dir", frozenset(roles)), granted(app_roles(roles))
    )


def task(task_id: str, requester: str, status: str) -> dict:
    return {
        "id": task_id, "provider": "github", "repository": "o/r", "source_kind": "issue",
        "source_id": "1", "command": "fix", "requester": requester, "status": status,
        "step": None, "pr_url": None, "approver": None, "created_at": WHEN, "updated_at": WHEN,
        "lineage": {"risk": {"level": "low"}, "review": {"diff": "d", "check": None}},
    }  # fmt: skip


@pytest.fixture
def world():
    reads, store, tenants = FakeAdminReads(), FakeApprovalStore(), InMemoryTenants()
    tenants.provision("acme", "Acme")
    tenants.provision("globex", "Globex")
    reads.tasks_by_tenant = {
        "acme": {
            "a1": task("a1", "dev", "awaiting_approval"),
            "a2": task("a2", "lead", "awaiting_approval"),
            "a3": task("a3", "dev", "running"),
            "a4": task("a4", "dev", "awaiting_approval"),
        },
        "globex": {"g1": task("g1", "dev", "awaiting_approval")},
    }
    reads.decided.add(("acme", "a4"))
    for scm_user, oid in (("lead", "oid-lead"), ("dev", "oid-dev"), ("Dev-Alt", "oid-dev")):
        store.link("acme", IdentityLink("github", scm_user.casefold(), oid, "admin"))
    return reads, store, tenants, TaskAdmin(reads, store, tenants, FakeKeyProvider())


def _ids(queue: dict) -> list[str]:
    return [item["task"]["id"] for item in queue["items"]]


def test_the_queue_is_what_the_caller_may_decide(world):
    _, _, tenants, service = world
    assert _ids(service.queue("acme", caller("oid-lead", "Approver"))) == ["a1"]
    assert _ids(service.queue("acme", caller("oid-dev", "Approver"))) == ["a2"]
    assert _ids(service.queue("acme", caller("oid-nobody", "Approver"))) == []
    tenants.update_settings("acme", {"approvals": {"allow_unlinked_approvers": True}})
    assert _ids(service.queue("acme", caller("oid-nobody", "Approver"))) == ["a1", "a2"]
    # Links are per tenant: in globex the lead is nobody, so nothing there is theirs to decide.
    assert _ids(service.queue("globex", caller("oid-lead", "Approver"))) == []


def test_cancel_is_for_a_tenant_admin_or_the_requester(world):
    reads, _, _, service = world
    with pytest.raises(PermissionDenied):
        service.cancel("acme", "a2", caller("oid-dev", "Viewer"))
    assert service.cancel("acme", "a3", caller("oid-dev", "Viewer"))["status"] == "cancelled"
    assert service.cancel("acme", "a2", caller("oid-x", "TenantAdmin"))["status"] == "cancelled"
    with pytest.raises(Conflict):
        service.cancel("acme", "a2", caller("oid-x", "TenantAdmin"))
    assert [e["actor"] for e in reads.events["acme"]] == ["oid-dev@x.example (oid-dev)",
                                                         "oid-x@x.example (oid-x)"]  # fmt: skip


def test_usage_totals_are_the_sum_of_the_lineage_rows():
    reads = FakeAdminReads()
    reads.calls["acme"] = [
        {"task_id": t, "occurred_at": WHEN.replace(day=d), "input_tokens": i, "output_tokens": o,
         "cost_usd": c, "provider": "ollama", "model": m}
        for t, d, i, o, c, m in (("a", 1, 100, 10, 0.5, "qwen"), ("a", 2, 50, 5, 0.25, "qwen"),
                                 ("b", 2, 7, 3, 0.0, "llama"))
    ]  # fmt: skip
    report = UsageReports(reads).per_day("acme", None, None)
    assert [d["day"] for d in report["days"]] == ["2026-03-01", "2026-03-02"]
    assert [d["tokens"] for d in report["days"]] == [110, 65]
    totals = report["totals"]
    assert (totals["llm_calls"], totals["tokens"], totals["cost_usd"]) == (3, 175, 0.75)
    assert totals["lead_time_s_avg"] is None
    # The per-model split adds up to each day and to the totals, the costliest model first.
    assert [(m["model"], m["llm_calls"], m["tokens"]) for m in totals["models"]] == [
        ("qwen", 2, 165),
        ("llama", 1, 10),
    ]
    second = report["days"][1]["models"]
    assert [(m["model"], m["tokens"], m["cost_usd"]) for m in second] == [
        ("qwen", 55, 0.25),
        ("llama", 10, 0.0),
    ]
