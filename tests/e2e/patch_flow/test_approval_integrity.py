"""Approvals that cannot be forged, on devhost, as an attacker would try them.

An ``approval`` event raised straight through the Durable management API (what anyone holding a
management URL could do) must not move the task; only a decision recorded through the tasks API
by a linked approver does, once; the webhook's answer names no management URL or key.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import time
import urllib.request

from devhost.dev_oidc import object_id_for
from shared.adapters.scm.local_git import repository_path
from tests.e2e.patch_flow.conftest import AUDIENCE
from tools.demo.scenario import (
    COMMAND,
    REPOSITORY,
    encode,
    issue_comment,
    prepare_tenant,
    signed_headers,
)

SCRIPTED = [{"provider": "scripted", "model": "demo"}]
AWAITING = "awaiting-approval"


def _webhook(http, tenant) -> tuple[int, dict[str, str], bytes]:
    payload = encode(issue_comment(REPOSITORY, tenant.issue_number, COMMAND))
    request = urllib.request.Request(
        f"{http.base_url}/api/webhooks/github/{tenant.slug}",
        data=payload,
        method="POST",
        headers=signed_headers(payload, tenant.webhook_secret),
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.status, dict(response.headers), response.read()


def _bearer(issuer, tenant, user: str, *roles: str) -> dict[str, str]:
    token = issuer.mint(
        tenant_id=tenant.directory_id, username=user, audience=AUDIENCE, roles=list(roles)
    )
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


def _decide(http, tenant, task_id, headers, decision="approve"):
    return http.request(
        "POST",
        f"/api/tenants/{tenant.slug}/tasks/{task_id}/approval",
        encode({"decision": decision}),
        headers,
    )


def _step(http, task_id) -> str | None:
    return (http.status(task_id).get("customStatus") or {}).get("step")


def _audit_kinds(app, tenant) -> list[str]:
    return [json.loads(line)["kind"] for line in app.audit.export(tenant.slug)]


def _wait_for_audit(app, tenant, kind: str, count: int = 1) -> None:
    deadline = time.monotonic() + 60
    while _audit_kinds(app, tenant).count(kind) < count:
        assert time.monotonic() < deadline, f"no {kind} in {_audit_kinds(app, tenant)}"
        time.sleep(0.1)


def _pull_requests(app, tenant) -> list[dict]:
    with app.db.tenant_transaction(app.tenants.locate(tenant.slug)) as tx:
        return tx.conn.execute("SELECT number, source_branch FROM scm_pull_requests").fetchall()


def _branches(app, tenant) -> str:
    bare = repository_path(app.scm.local_git_root(tenant.slug), REPOSITORY)
    listed = ["git", "-C", str(bare), "branch", "--list", "agent/*"]
    return subprocess.run(listed, capture_output=True, text=True, check=True).stdout


def test_forged_event_is_ignored_and_only_a_recorded_decision_opens_one_pr(app, http, issuer):
    tenant = prepare_tenant(app, f"e2e-{secrets.token_hex(3)}", llm_routes=SCRIPTED)

    # The acknowledgement an SCM shows in its delivery log: the tasks API, nothing else.
    code, headers, raw = _webhook(http, tenant)
    accepted = json.loads(raw)
    task_id = accepted["id"]
    tasks_url = f"{app.settings.public_base_url}/api/tenants/{tenant.slug}/tasks/{task_id}"
    assert code == 202 and accepted == {"id": task_id, "status": tasks_url}
    assert headers["Location"] == tasks_url
    for seen in (raw.decode(), json.dumps(headers)):
        assert "runtime/webhooks" not in seen and "code=" not in seen and "taskHub" not in seen

    http.wait(task_id, lambda s: (s.get("customStatus") or {}).get("step") == AWAITING)

    # Around the tasks API: an approval raised through the Durable management API.
    code, _ = http.request(
        "POST",
        f"/runtime/webhooks/durabletask/instances/{task_id}/raiseEvent/approval",
        encode({"decision": "approve"}),
        {"Content-Type": "application/json"},
    )
    assert code == 202  # the host took the event; the flow must not act on it
    _wait_for_audit(app, tenant, "approval-forged")
    http.wait(task_id, lambda s: (s.get("customStatus") or {}).get("step") == AWAITING)
    assert http.status(task_id)["runtimeStatus"] == "Running"
    assert _pull_requests(app, tenant) == [] and f"agent/{task_id}" not in _branches(app, tenant)

    # An approver nobody linked to an SCM identity is refused; a TenantAdmin links them.
    stranger = "reviewer@contoso.example"
    code, body = _decide(http, tenant, task_id, _bearer(issuer, tenant, stranger, "Approver"))
    assert (code, body["code"]) == (403, "identity-not-linked")
    path = f"/api/tenants/{tenant.slug}/identities/github/octo-reviewer"
    link = encode({"object_id": object_id_for(stranger)})
    approver_only = _bearer(issuer, tenant, "lead@contoso.example", "Approver")
    assert http.request("PUT", path, link, approver_only)[0] == 403
    admin = _bearer(issuer, tenant, "admin@contoso.example", "TenantAdmin")
    code, made = http.request("PUT", path, link, admin)
    assert (code, made["scm_user"], made["linked_by"]) == (
        200,
        "octo-reviewer",
        "admin@contoso.example",
    )
    code, listed = http.request("GET", f"/api/tenants/{tenant.slug}/identities", headers=admin)
    assert code == 200 and "octo-reviewer" in {k["scm_user"] for k in listed["links"]}

    # The requester, under another Entra name but linked, still cannot approve.
    requester = _bearer(issuer, tenant, "octo-dev@contoso.example", "Approver")
    code, body = _decide(http, tenant, task_id, requester)
    assert (code, body["code"]) == (403, "requester-cannot-approve")

    code, decided = _decide(http, tenant, task_id, _bearer(issuer, tenant, stranger, "Approver"))
    assert code == 202 and decided["approver"] == stranger and decided["decision_id"]
    done = http.wait(task_id, lambda s: s["runtimeStatus"] == "Completed")
    assert done["output"]["outcome"] == "completed"
    assert [p["source_branch"] for p in _pull_requests(app, tenant)] == [f"agent/{task_id}"]

    # A second, contradictory decision by someone else: 409, and nothing changes.
    code, body = _decide(http, tenant, task_id, approver_only, decision="reject")
    assert (code, body["code"]) == (409, "already-decided")
    assert len(_pull_requests(app, tenant)) == 1

    kinds = _audit_kinds(app, tenant)
    assert kinds.count("approval-forged") == 1 and kinds.count("approval.verified") == 1
    assert (
        kinds.index("approval-forged") < kinds.index("approval.verified") < kinds.index("pr.opened")
    )
    assert app.audit.verify_chain(tenant.slug).ok
    assert http.request("DELETE", path, headers=admin)[0] == 204
    assert http.request("DELETE", path, headers=admin)[0] == 404
