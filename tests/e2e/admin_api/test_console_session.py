"""What the browser console asks the API on devhost: who the signed-in user is on a tenant and
what they may do there (whoAmI), which tenants they may pick (listMyTenants), and the task page
(the diff under review per file, risk, check, approval state), with a secret seeded in the
repository never shown; a Viewer and another tenant's user are refused a decision."""

from __future__ import annotations

import json
import secrets
import shutil
from pathlib import Path

from devhost.dev_oidc import object_id_for
from tests.e2e.admin_api.conftest import PLATFORM_DIRECTORY
from tests.e2e.admin_api.rows import insert_task
from tests.support.devhost_task import comment_until_approval, start_task
from tools.demo.scenario import (
    APPROVER,
    REPOSITORY,
    SAMPLE,
    seed_repository,
)

REQUESTER_ENTRA = "octo-dev@contoso.example"  # linked to octo-dev, who comments the command


def _me(api, tenant, headers) -> tuple[int, dict]:
    return api.call("GET", f"tenants/{tenant.slug}/me", headers)


def test_who_am_i_names_the_tenant_the_user_their_roles_and_what_they_may_do(api, demo_tenant):
    tenant, other = demo_tenant(), demo_tenant()
    expected = {
        "Viewer": ({"Viewer"}, set()),
        "Approver": ({"Approver", "Viewer"}, {"approve"}),
        "Auditor": ({"Auditor", "Viewer"}, {"audit", "usage"}),
        "TenantAdmin": (
            {"TenantAdmin", "Approver", "Viewer"},
            {"approve", "cancel", "admin_settings", "usage"},
        ),
    }
    for role, (roles, may) in expected.items():
        user = f"{role.lower()}@contoso.example"
        code, me = _me(api, tenant, api.token(tenant.directory_id, user, role))
        assert code == 200, me
        assert me["tenant"] == {"slug": tenant.slug, "display_name": f"{tenant.slug} (demo)"}
        assert me["user"] == {"preferred_username": user, "object_id": object_id_for(user)}
        assert set(me["roles"]) == roles and me["token_roles"] == [role]
        assert {action for action, allowed in me["may"].items() if allowed} == may

    # A role assigned by the tenant counts like a token's, and says where it came from.
    admin = api.token(tenant.directory_id, "admin@contoso.example", "TenantAdmin")
    assigned = "assigned@contoso.example"
    code, _ = api.call(
        "PUT", f"tenants/{tenant.slug}/role-assignments/{object_id_for(assigned)}/Auditor", admin
    )
    assert code == 200
    code, me = _me(api, tenant, api.token(tenant.directory_id, assigned))
    assert code == 200 and me["assigned_roles"] == ["Auditor"] and me["token_roles"] == []
    assert me["may"]["audit"] and not me["may"]["approve"]

    # No role here, another directory's token, or none at all: refused.
    assert _me(api, tenant, api.token(tenant.directory_id, "nobody@contoso.example"))[0] == 403
    foreign = api.token(other.directory_id, "admin@other.example", "TenantAdmin")
    assert _me(api, tenant, foreign)[0] == 403
    assert _me(api, tenant, None)[0] == 401


def test_the_tenant_picker_lists_only_the_callers_tenants(api, demo_tenant):
    tenant, other = demo_tenant(), demo_tenant()
    code, mine = api.call(
        "GET", "me/tenants", api.token(tenant.directory_id, "viewer@contoso.example", "Viewer")
    )
    assert code == 200 and mine["directory"] == tenant.directory_id
    assert mine["platform_admin"] is False
    assert mine["tenants"] == [
        {"slug": tenant.slug, "display_name": f"{tenant.slug} (demo)", "roles": ["Viewer"]}
    ]
    # Without a role on it, a tenant of one's own directory is not offered (nor named).
    code, none = api.call("GET", "me/tenants", api.token(tenant.directory_id, "x@contoso.example"))
    assert code == 200 and none["tenants"] == []
    # A PlatformAdmin of the operators' directory may pick any tenant (for the platform pages).
    ops = api.token(PLATFORM_DIRECTORY, "ops@platform.example", "PlatformAdmin")
    code, everything = api.call("GET", "me/tenants", ops)
    assert code == 200 and everything["platform_admin"] is True
    assert {tenant.slug, other.slug} <= {t["slug"] for t in everything["tenants"]}
    # The same role claim from any other directory is no platform admin.
    fake_ops = api.token(tenant.directory_id, "ops@contoso.example", "PlatformAdmin")
    assert api.call("GET", "me/tenants", fake_ops)[1]["platform_admin"] is False
    assert api.call("GET", "me/tenants", {"Authorization": "Bearer a.b.c"})[0] == 401
    assert api.call("GET", "me/tenants", None)[0] == 401


def _seed_secret(app, tenant, tmp_path: Path) -> str:
    """The demo repository with a credential on the line after the buggy function: inside the
    context lines of the fix's diff, so the stored diff holds it."""
    secret = "ghp_" + secrets.token_hex(18)
    source = tmp_path / "sample"
    shutil.copytree(SAMPLE, source, ignore=shutil.ignore_patterns("__pycache__"))
    stats = source / "calc" / "stats.py"
    lines = stats.read_text().split("\n")
    index = lines.index("    return total / len(values)")
    lines.insert(index + 1, f'DEPLOY_TOKEN = "{secret}"')
    stats.write_text("\n".join(lines))
    seed_repository(app.scm.local_git_root(tenant.slug), REPOSITORY, source)
    return secret


def test_the_task_page_shows_the_review_redacted_and_who_may_decide(
    api, app, demo_tenant, tmp_path
):
    tenant, other = demo_tenant(), demo_tenant()
    secret = _seed_secret(app, tenant, tmp_path)
    task = comment_until_approval(api.base_url, tenant)
    path = f"tenants/{tenant.slug}/tasks/{task}"
    lead = api.token(tenant.directory_id, APPROVER, "Approver")

    code, detail = api.call("GET", path, lead)
    assert code == 200, detail
    assert secret not in json.dumps(detail)
    review = detail["review"]
    assert review["diff"].startswith("diff --git a/calc/stats.py") and not review["truncated"]
    assert "<REDACTED:" in review["diff"]
    [changed] = review["files"]
    assert (changed["path"], changed["change"], changed["added"], changed["removed"]) == (
        "calc/stats.py",
        "modified",
        1,
        1,
    )
    rows = [line for hunk in changed["hunks"] for line in hunk["lines"]]
    removed = next(r for r in rows if r["kind"] == "removed")
    added = next(r for r in rows if r["kind"] == "added")
    assert removed == {"kind": "removed", "old_line": 9, "new_line": None,
                       "text": "    for value in values[1:]:"}  # fmt: skip
    assert added == {"kind": "added", "old_line": None, "new_line": 9,
                     "text": "    for value in values:"}  # fmt: skip
    token_line = next(r for r in rows if r["text"].startswith("DEPLOY_TOKEN"))
    assert token_line["kind"] == "context" and "<REDACTED:" in token_line["text"]
    risk = detail["risk"]  # the demo tenant's policy asks for approval of every patch
    assert risk["level"] in ("low", "medium", "high") and isinstance(risk["reasons"], list)
    assert risk["approval_required"] is True
    check = detail["check"]
    assert check["command"] == "python3 -m unittest discover -s tests -t ."
    assert check["state"] in ("passed", "failed", "unchecked")
    assert detail["model_card"] is None  # the scripted route is not a registry version
    approval = detail["approval"]
    assert approval["state"] == "awaiting" and approval["decisions"] == []
    assert approval["deciders"] == ["Approver", "TenantAdmin"]
    assert (approval["requester"], approval["caller_may_decide"]) == ("octo-dev", True)

    # The approvals queue and the timeline show the same diff, redacted as well.
    queue = api.call("GET", f"tenants/{tenant.slug}/approvals", lead)[1]
    assert queue["items"][0]["diff"] == review["diff"] and secret not in json.dumps(queue)
    assert secret not in json.dumps(api.call("GET", f"{path}/timeline", lead)[1])

    # What the page tells others: the requester, a Viewer and an unlinked Approver may not.
    for user, role, refusal in (
        (REQUESTER_ENTRA, "Approver", "requester-cannot-approve"),
        ("viewer@contoso.example", "Viewer", "role-required"),
        ("stranger@contoso.example", "Approver", "identity-not-linked"),
    ):
        seen = api.call("GET", path, api.token(tenant.directory_id, user, role))[1]["approval"]
        assert (seen["caller_may_decide"], seen["caller_refusal"]) == (False, refusal)
    # ... and the API refuses them all the same: the Viewer, and another tenant's Approver.
    decide, approve = f"{path}/approval", {"decision": "approve", "comment": "lgtm"}
    viewer = api.token(tenant.directory_id, "viewer@contoso.example", "Viewer")
    code, body = api.call("POST", decide, viewer, approve)
    assert (code, body["code"]) == (403, "role-required")
    foreign = api.token(other.directory_id, APPROVER, "Approver", "TenantAdmin")
    assert api.call("POST", decide, foreign, approve)[0] == 403
    assert api.call("GET", path, foreign)[0] == 403
    elsewhere = insert_task(app, other.slug, requester="octo-dev", status="awaiting_approval")
    other_lead = api.token(other.directory_id, APPROVER, "Approver")
    code, body = api.call("GET", f"tenants/{tenant.slug}/tasks/{elsewhere}", lead)
    assert (code, body["code"]) == (404, "task-not-found")
    assert api.call("GET", f"tenants/{other.slug}/tasks/{elsewhere}", other_lead)[0] == 200

    # The lead approves; the page then shows the decision and the PR link.
    assert api.call("POST", decide, lead, approve)[0] == 202
    done = api.wait(task, lambda s: s["runtimeStatus"] == "Completed")
    assert done["output"]["outcome"] == "completed"
    code, detail = api.call("GET", path, lead)
    assert detail["pr_url"] and detail["status"] == "completed"
    approval = detail["approval"]
    assert approval["state"] == "approved"
    assert [(d["decision"], d["approver"], d["comment"]) for d in approval["decisions"]] == [
        ("approve", APPROVER, "lgtm")
    ]
    assert approval["caller_refusal"] == "already-decided"
    assert secret not in json.dumps(detail)


def test_an_auto_approved_task_shows_its_diff_and_usage_splits_per_model(api, demo_tenant):
    tenant = demo_tenant(approval="never")
    task = start_task(api.base_url, tenant)
    done = api.wait(task, lambda s: s["runtimeStatus"] == "Completed")
    assert done["output"]["outcome"] == "completed"
    admin = api.token(tenant.directory_id, "admin@contoso.example", "TenantAdmin")
    code, detail = api.call("GET", f"tenants/{tenant.slug}/tasks/{task}", admin)
    assert code == 200 and detail["pr_url"]
    assert [f["path"] for f in detail["review"]["files"]] == ["calc/stats.py"]
    assert detail["risk"]["approval_required"] is False
    approval = detail["approval"]
    assert (approval["state"], approval["decisions"]) == ("not-requested", [])
    assert (approval["caller_may_decide"], approval["caller_refusal"]) == (
        False,
        "not-awaiting-approval",
    )

    code, usage = api.call("GET", f"tenants/{tenant.slug}/usage", admin)
    assert code == 200
    totals = usage["totals"]
    assert [(m["provider"], m["model"]) for m in totals["models"]] == [("scripted", "demo")]
    [share] = totals["models"]
    assert (share["llm_calls"], share["tokens"]) == (totals["llm_calls"], totals["tokens"])
    assert share["llm_calls"] == len(detail["llm_calls"]) > 0
    for day in usage["days"]:
        assert sum(m["tokens"] for m in day["models"]) == day["tokens"]
