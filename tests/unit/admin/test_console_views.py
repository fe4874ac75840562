"""The console's views over fakes: the diff per file with both sides' line numbers, secrets
redacted everywhere (diff lines, check output), the model card of the answering version, the
approval state with decideTask's own refusal codes, and what each role may do."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from shared.auth.entra import Principal
from shared.domain.approval import ApprovalDecision, IdentityLink
from shared.policies.rbac import AppRole, app_roles, granted
from shared.ports.admin import FakeAdminReads, RoleAssignments
from shared.ports.approvals import FakeApprovalStore
from shared.ports.keys import FakeKeyProvider
from shared.services.admin.access import AccessService, Caller
from shared.services.admin.review import approval_state, check_view, model_card, review_view
from shared.services.admin.session import ConsoleSession, console_actions
from shared.services.admin.tasks import TaskAdmin
from tests.unit.llm.conftest import InMemoryTenants

KEY = b"k" * 32
SECRET = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
DIFF = f"""diff --git a/app/config.py b/app/config.py
--- a/app/config.py
+++ b/app/config.py
@@ -10,4 +10,5 @@
 import os
-RETRIES = 1
+RETRIES = 3
+TIMEOUT = 5
 TOKEN = "{SECRET}"
diff --git a/docs/new.md b/docs/new.md
new file mode 100644
--- /dev/null
+++ b/docs/new.md
@@ -0,0 +1 @@
+hello
"""
WHEN = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def test_the_review_is_per_file_with_both_sides_line_numbers_and_secrets_redacted():
    view = review_view({"review": {"diff": DIFF}}, KEY)
    assert view is not None and SECRET not in json.dumps(view)
    assert "<REDACTED:" in view["diff"] and not view["truncated"]
    config, new = view["files"]
    assert (config["path"], config["change"], config["added"], config["removed"]) == (
        "app/config.py", "modified", 2, 1
    )  # fmt: skip
    rows = [(r["kind"], r["old_line"], r["new_line"]) for r in config["hunks"][0]["lines"]]
    assert rows == [
        ("context", 10, 10),
        ("removed", 11, None),
        ("added", None, 11),
        ("added", None, 12),
        ("context", 12, 13),
    ]
    assert config["hunks"][0]["header"] == "@@ -10,3 +10,4 @@"
    assert config["hunks"][0]["lines"][-1]["text"].startswith('TOKEN = "<REDACTED:')
    assert (new["path"], new["change"], new["old_path"]) == ("docs/new.md", "added", None)
    assert review_view({}, KEY) is None


def test_the_check_output_is_redacted_and_bounded():
    output = "x" * 10_000 + f"\nleaked {SECRET}\n"
    lineage = {"attempts": [{"ok": True, "check": {"state": "failed", "command": "make test",
               "exit_code": 2, "timed_out": False, "output_tail": output}}]}  # fmt: skip
    view = check_view(lineage, KEY)
    assert view is not None and SECRET not in json.dumps(view)
    assert view["exit_code"] == 2 and view["command"] == "make test"
    assert len(view["output_tail"]) <= 4000 and "<REDACTED:" in view["output_tail"]
    assert check_view({"attempts": []}, KEY) is None


def test_the_model_card_is_the_registry_version_that_answered():
    lineage = {
        "attempts": [
            {"ok": False, "llm": {"registry_version": "models:/patch-generator/3"}},
            {"ok": True, "llm": {"registry_version": "models:/patch-generator/4"}},
            {"ok": False, "llm": {}},
        ]
    }
    assert model_card("acme", lineage) == (
        "/api/models/patch-generator/versions/4/card?tenant=acme"
    )
    assert model_card("acme", {"attempts": [{"ok": True, "llm": {"provider": "ollama"}}]}) is None


def _row(status: str, lineage: dict | None = None) -> dict:
    return {"id": "t1", "provider": "github", "requester": "dev", "status": status,
            "lineage": lineage or {}}  # fmt: skip


def _decision(kind: str = "approve") -> ApprovalDecision:
    return ApprovalDecision(
        "d1", "t1", kind, "api", "lead@x", "oid-lead", ("Approver",), (), "ok", WHEN
    )


@pytest.mark.parametrize(
    ("row", "decision", "roles", "mine", "state", "refusal"),
    [
        (_row("awaiting_approval"), None, {"Approver"}, [("github", "lead")], "awaiting", None),
        (_row("awaiting_approval"), None, {"Viewer"}, [("github", "lead")], "awaiting",
         "role-required"),
        (_row("awaiting_approval"), None, {"Approver"}, [("github", "dev")], "awaiting",
         "requester-cannot-approve"),
        (_row("awaiting_approval"), None, {"Approver"}, [], "awaiting", "identity-not-linked"),
        (_row("completed"), _decision(), {"TenantAdmin"}, [("github", "lead")], "approved",
         "already-decided"),
        (_row("rejected"), _decision("reject"), {"Approver"}, [], "rejected", "already-decided"),
        (_row("expired", {"risk": {"approval_required": True}}), None, {"Approver"},
         [("github", "x")], "undecided", "not-awaiting-approval"),
        (_row("running"), None, {"Approver"}, [("github", "x")], "not-requested",
         "not-awaiting-approval"),
    ],
)  # fmt: skip
def test_the_approval_state_says_what_decide_task_would_answer(
    row, decision, roles, mine, state, refusal
):
    view = approval_state(
        row,
        decision,
        caller_roles=granted(app_roles(roles)),
        caller_identities=tuple(mine),
        allow_unlinked=False,
    )
    assert (view["state"], view["caller_refusal"]) == (state, refusal)
    assert view["caller_may_decide"] is (refusal is None)
    assert view["deciders"] == ["Approver", "TenantAdmin"]
    assert len(view["decisions"]) == (decision is not None)


def test_the_task_detail_redacts_the_lineage_and_reads_the_decision():
    reads, store, tenants = FakeAdminReads(), FakeApprovalStore(), InMemoryTenants()
    tenants.provision("acme", "Acme")
    store.link("acme", IdentityLink("github", "lead", "oid-lead", "admin"))
    reads.tasks_by_tenant["acme"] = {
        "t1": {
            **_row("awaiting_approval", {"review": {"diff": DIFF}, "source": {"body": SECRET}}),
            "repository": "o/r", "source_kind": "issue", "source_id": "1", "command": "fix",
            "step": None, "pr_url": None, "approver": None, "created_at": WHEN,
            "updated_at": WHEN, "instruction": f"use {SECRET}", "result": None,
        }
    }  # fmt: skip
    lead = Caller(Principal("oid-lead", "lead@x", "dir", frozenset()), granted({AppRole.APPROVER}))
    detail = TaskAdmin(reads, store, tenants, FakeKeyProvider()).detail("acme", "t1", lead)
    assert SECRET not in json.dumps(detail, default=str)
    assert detail["instruction"].startswith("use <REDACTED:")
    assert detail["approval"]["caller_may_decide"] is True
    assert [f["path"] for f in detail["review"]["files"]] == ["app/config.py", "docs/new.md"]


@pytest.mark.parametrize(
    ("roles", "may"),
    [
        ({"Viewer"}, set()),
        ({"Approver"}, {"approve"}),
        ({"Auditor"}, {"audit", "usage"}),
        ({"TenantAdmin"}, {"approve", "cancel", "admin_settings", "usage"}),
        ({"TenantAdmin", "Auditor"}, {"approve", "cancel", "admin_settings", "audit", "usage"}),
    ],
)
def test_console_actions_follow_the_operation_table(roles, may):
    actions = console_actions(granted(app_roles(roles)))
    assert {action for action, allowed in actions.items() if allowed} == may


class _Assignments(RoleAssignments):
    def __init__(self, rows: dict[tuple[str, str], set[str]]) -> None:
        self.rows = rows

    def roles_of(self, tenant: str, object_id: str) -> frozenset[str]:
        return frozenset(self.rows.get((tenant, object_id), set()))

    def list(self, tenant: str) -> list[dict]:
        raise NotImplementedError

    def assign(self, tenant: str, object_id: str, role: str, *, actor: str) -> dict:
        raise NotImplementedError

    def revoke(self, tenant: str, object_id: str, role: str, *, actor: str) -> None:
        raise NotImplementedError


def test_the_tenant_picker_offers_tenants_of_the_callers_directory_where_they_hold_a_role():
    tenants = InMemoryTenants()
    for slug, directory in (("solo", "dir-a"), ("shared-1", "dir-b"), ("shared-2", "dir-b")):
        tenants.provision(slug, slug.title())
        tenants.update_settings(slug, {"entra_tenant_id": directory})
    assignments = _Assignments({("shared-2", "oid-1"): {"Auditor"}})
    validator: Any = None  # only tokens are validated with it; none is here
    access = AccessService(tenants, assignments, validator, platform_directory="ops")
    session = ConsoleSession(tenants, access)

    def picked(directory: str, *roles: str) -> list[tuple[str, list[str]]]:
        answer = session.my_tenants(Principal("oid-1", "u@x", directory, frozenset(roles)))
        return [(t["slug"], t["roles"]) for t in answer["tenants"]]

    assert picked("dir-a", "Viewer") == [("solo", ["Viewer"])]
    # Where a directory holds several tenants, only assignments count (a token names none).
    assert picked("dir-b", "TenantAdmin") == [("shared-2", ["Auditor", "Viewer"])]
    assert picked("dir-c", "TenantAdmin") == []
    assert picked("dir-a") == []
    ops = Principal("oid-9", "ops@x", "ops", frozenset({"PlatformAdmin"}))
    everything = session.my_tenants(ops)
    assert everything["platform_admin"] is True
    assert [t["slug"] for t in everything["tenants"]] == ["shared-1", "shared-2", "solo"]


def test_a_secret_spanning_lines_is_cut_from_each_line_that_keeps_its_place():
    body = ["MIIEpAIBAAKCAQEA7Yq3kXw9vR2sLm4Nc8TzQe1FbHd6Ug0WiJ5oPaKlMnByVxZtC3", "QIDAQAB"]
    pem = ["-----BEGIN RSA PRIVATE KEY-----", *body, "-----END RSA PRIVATE KEY-----"]
    added = "\n".join(f"+{line}" for line in ["x = 1", *pem])
    diff = f"--- /dev/null\n+++ b/k.pem\n@@ -0,0 +1,5 @@\n{added}\n"
    view = review_view({"review": {"diff": diff}}, KEY)
    assert view is not None
    texts = [r["text"] for r in view["files"][0]["hunks"][0]["lines"]]
    assert texts[0] == "x = 1" and texts[1].startswith("<REDACTED:private-key:")
    assert texts[2:] == ["", "", ""]
    assert not any(part in json.dumps(view) for part in body)
