"""The main job on devhost: a signed webhook becomes an approved, audited pull request."""

from __future__ import annotations

import base64
import json
import secrets
import subprocess

import jwt
import pytest

from shared.adapters.scm.local_git import repository_path
from shared.adapters.store.postgres.tasks import get_task
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


def _send(http, tenant, body: str, *, user: str = "octo-dev"):
    payload = encode(issue_comment(REPOSITORY, tenant.issue_number, body, user=user))
    return http.request(
        "POST",
        f"/api/webhooks/github/{tenant.slug}",
        payload,
        signed_headers(payload, tenant.webhook_secret),
    )


def _token(issuer, tenant, *, user="lead@contoso.example", roles=("Approver",), **kw) -> str:
    args = {
        "tenant_id": tenant.directory_id,
        "username": user,
        "audience": AUDIENCE,
        "roles": list(roles),
    }
    return issuer.mint(**{**args, **kw})


def _decide(http, tenant, task_id, token, decision="approve"):
    return http.request(
        "POST",
        f"/api/tenants/{tenant.slug}/tasks/{task_id}/approval",
        encode({"decision": decision, "comment": "looks right"}),
        {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )


def _git(app, tenant, *args: str) -> str:
    bare = repository_path(app.scm.local_git_root(tenant.slug), REPOSITORY)
    return subprocess.run(
        ["git", "-C", str(bare), *args], capture_output=True, text=True, check=True
    ).stdout


@pytest.fixture
def tenant(app):
    return prepare_tenant(app, f"e2e-{secrets.token_hex(3)}", llm_routes=SCRIPTED)


def test_webhook_to_approved_pull_request_with_lineage_and_audit(app, http, issuer, tenant):
    code, accepted = _send(http, tenant, COMMAND)
    assert code == 202, accepted
    task_id = accepted["id"]

    waiting = http.wait(
        task_id, lambda s: (s.get("customStatus") or {}).get("step") == "awaiting-approval"
    )
    assert waiting["customStatus"]["scripted_llm"] is True

    # The requester may not approve their own task; a Viewer may not approve at all.
    requester = _token(issuer, tenant, user="octo-dev@contoso.example")
    assert _decide(http, tenant, task_id, requester)[0] == 403
    assert _decide(http, tenant, task_id, _token(issuer, tenant, roles=("Viewer",)))[0] == 403
    code, decided = _decide(http, tenant, task_id, _token(issuer, tenant))
    assert code == 202, decided

    done = http.wait(task_id, lambda s: s["runtimeStatus"] == "Completed")
    output = done["output"]
    assert output["outcome"] == "completed"
    branch = f"agent/{task_id}"
    assert output["pr"]["branch"] == branch

    fixed = _git(app, tenant, "show", f"{branch}:calc/stats.py")
    assert "for value in values:" in fixed and "values[1:]" not in fixed
    assert _git(app, tenant, "diff", "--stat", "main", branch).count("|") == 1

    location = app.tenants.locate(tenant.slug)
    with app.db.tenant_transaction(location) as tx:
        record = get_task(tx, task_id)
        prs = tx.conn.execute(
            "SELECT number, source_branch AS branch, state FROM scm_pull_requests"
        ).fetchall()
        comments = tx.conn.execute(
            "SELECT body FROM scm_comments WHERE author = 'ai-code-agent'"
        ).fetchall()
    assert str(record.status) == "completed"
    assert record.pr_url and record.approver == "lead@contoso.example"
    assert [(p["branch"], p["state"]) for p in prs] == [(branch, "open")]
    assert len(comments) == 1 and "Opened" in comments[0]["body"]
    lineage = record.lineage
    assert lineage["trigger"]["delivery_id"]
    assert lineage["context_files"][0]["path"] == "calc/stats.py"
    assert all(len(f["sha256"]) == 64 for f in lineage["context_files"])
    assert lineage["attempts"][-1]["ok"] is True
    assert lineage["attempts"][-1]["check"]["passed"] is True
    assert lineage["attempts"][-1]["llm"]["scripted"] is True
    assert lineage["risk"]["level"] and lineage["approval"]["approver"] == "lead@contoso.example"
    assert lineage["pull_request"]["branch"] == branch

    chain = app.audit.verify_chain(tenant.slug)
    assert chain.ok and chain.checked >= 9
    kinds = [line for line in app.audit.export(tenant.slug)]
    for kind in (
        "task.received",
        "task.started",
        "context.gathered",
        "patch.generated",
        "patch.validated",
        "risk.assessed",
        "approval.requested",
        "approval.submitted",
        "pr.opened",
        "source.commented",
        "task.completed",
    ):
        assert any(f'"kind":"{kind}"' in line for line in kinds), kind

    code, view = http.request(
        "GET",
        f"/api/tenants/{tenant.slug}/tasks/{task_id}",
        headers={"Authorization": f"Bearer {_token(issuer, tenant, roles=('Viewer',))}"},
    )
    assert code == 200 and view["status"] == "completed" and view["lineage"]["pull_request"]


def _start(app, http, *, recording="demo", approval="always", timeout_hours=24.0):
    tenant = prepare_tenant(
        app,
        f"e2e-{secrets.token_hex(3)}",
        llm_routes=[{"provider": "scripted", "model": recording}],
        approval=approval,
    )
    app.tenants.update_settings(
        tenant.slug,
        {"patch_policy": {"approval": approval, "approval_timeout_hours": timeout_hours}},
    )
    code, accepted = _send(http, tenant, COMMAND)
    assert code == 202, accepted
    return tenant, accepted["id"]


def _agent_comments(app, tenant) -> list[str]:
    with app.db.tenant_transaction(app.tenants.locate(tenant.slug)) as tx:
        rows = tx.conn.execute(
            "SELECT body FROM scm_comments WHERE author = 'ai-code-agent'"
        ).fetchall()
    return [r["body"] for r in rows]


def _branches(app, tenant) -> str:
    return _git(app, tenant, "branch", "--list", "agent/*")


def test_rejection_ends_the_task_without_pushing(app, http, issuer):
    tenant, task_id = _start(app, http)
    http.wait(task_id, lambda s: (s.get("customStatus") or {}).get("step") == "awaiting-approval")
    code, _ = _decide(http, tenant, task_id, _token(issuer, tenant), decision="reject")
    assert code == 202
    done = http.wait(task_id, lambda s: s["runtimeStatus"] == "Completed")
    assert done["output"]["outcome"] == "rejected"
    assert f"agent/{task_id}" not in _branches(app, tenant)
    assert any("rejected by lead@contoso.example" in c for c in _agent_comments(app, tenant))
    assert app.audit.verify_chain(tenant.slug).ok


def test_no_decision_before_the_deadline_expires_the_task(app, http):
    tenant, task_id = _start(app, http, timeout_hours=1 / 3600)  # a one-second deadline
    done = http.wait(task_id, lambda s: s["runtimeStatus"] == "Completed")
    assert done["output"]["outcome"] == "expired"
    assert f"agent/{task_id}" not in _branches(app, tenant)
    assert any("approval deadline" in c for c in _agent_comments(app, tenant))
    with app.db.tenant_transaction(app.tenants.locate(tenant.slug)) as tx:
        assert str(get_task(tx, task_id).status) == "expired"


@pytest.mark.parametrize(
    ("token_args", "status"),
    [
        ({"tenant_id": "99999999-9999-4999-8999-999999999999"}, 403),  # another directory
        ({"lifetime_s": -120}, 401),  # expired
        ({"audience": "api://someone-else"}, 401),
    ],
)
def test_approval_api_refuses_bad_tokens(app, http, issuer, token_args, status):
    tenant, task_id = _start(app, http)
    http.wait(task_id, lambda s: (s.get("customStatus") or {}).get("step") == "awaiting-approval")
    code, body = _decide(http, tenant, task_id, _token(issuer, tenant, **token_args))
    assert code == status, body
    assert http.status(task_id)["customStatus"]["step"] == "awaiting-approval"
    assert _decide(http, tenant, task_id, "not-a-jwt")[0] == 401


def _forged(issuer, tenant, alg: str) -> str:
    """The claims of a genuine Approver token, re-signed with ``alg`` (none, or HS256 keyed
    with the issuer's public modulus: the classic algorithm-confusion attack)."""
    claims = jwt.decode(_token(issuer, tenant), options={"verify_signature": False})
    if alg == "none":
        head = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
        body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
        return f"{head}.{body}."
    return jwt.encode(claims, issuer.jwks()["keys"][0]["n"], algorithm="HS256")


@pytest.mark.parametrize("alg", ["none", "HS256"])
def test_approval_api_refuses_unsigned_and_hmac_forged_tokens(app, http, issuer, alg):
    tenant, task_id = _start(app, http)
    http.wait(task_id, lambda s: (s.get("customStatus") or {}).get("step") == "awaiting-approval")
    code, body = _decide(http, tenant, task_id, _forged(issuer, tenant, alg))
    assert code == 401 and body["code"] == "unauthenticated"
    assert http.status(task_id)["customStatus"]["step"] == "awaiting-approval"


def test_agent_cancel_terminates_the_task_and_nothing_is_pushed(app, http):
    tenant, task_id = _start(app, http)
    http.wait(task_id, lambda s: (s.get("customStatus") or {}).get("step") == "awaiting-approval")
    code, body = _send(http, tenant, "/agent cancel")
    assert (code, body["status"], body["task_id"]) == (200, "cancelled", task_id)
    assert http.wait(task_id, lambda s: s["runtimeStatus"] == "Terminated")
    assert f"agent/{task_id}" not in _branches(app, tenant)
    with app.db.tenant_transaction(app.tenants.locate(tenant.slug)) as tx:
        assert str(get_task(tx, task_id).status) == "cancelled"
        assert tx.conn.execute("SELECT count(*) AS n FROM scm_pull_requests").fetchone()["n"] == 0


def test_patch_that_keeps_failing_validation_ends_after_its_attempts(app, http):
    tenant, task_id = _start(app, http, recording="broken")
    done = http.wait(task_id, lambda s: s["runtimeStatus"] == "Completed")
    failure = done["output"]["failure"]
    assert (done["output"]["outcome"], failure["code"]) == ("failed", "validation-failed")
    assert len(failure["attempts"]) == 3
    comments = _agent_comments(app, tenant)
    assert len(comments) == 1 and "after 3 attempt(s)" in comments[0]
    assert f"agent/{task_id}" not in _branches(app, tenant)
    with app.db.tenant_transaction(app.tenants.locate(tenant.slug)) as tx:
        dead = tx.conn.execute("SELECT step, error_code FROM dead_letters").fetchall()
    assert [(d["step"], d["error_code"]) for d in dead] == [("validate_patch", "validation-failed")]


def test_answers_cut_short_by_the_output_limit_are_never_applied(app, http):
    tenant, task_id = _start(app, http, recording="cut_short")
    done = http.wait(task_id, lambda s: s["runtimeStatus"] == "Completed")
    failure = done["output"]["failure"]
    assert (failure["code"], len(failure["attempts"])) == ("validation-failed", 3)
    assert all("cut short" in a["summary"] for a in failure["attempts"])
    assert f"agent/{task_id}" not in _branches(app, tenant)
    with app.db.tenant_transaction(app.tenants.locate(tenant.slug)) as tx:
        calls = tx.conn.execute(
            "SELECT outcome, parameters FROM llm_call_events WHERE task_id = %s"
            " ORDER BY occurred_at",
            (task_id,),
        ).fetchall()
    # Each attempt: the first limit, then the larger one; every call's lineage says why.
    assert [c["outcome"] for c in calls] == ["output-truncated"] * 6
    assert [c["parameters"]["output_limit"] for c in calls] == [4096, 16384] * 3


def test_policy_violating_patch_is_never_pushed_nor_retried(app, http):
    tenant, task_id = _start(app, http, recording="workflow")
    done = http.wait(task_id, lambda s: s["runtimeStatus"] == "Completed")
    failure = done["output"]["failure"]
    assert failure["code"] == "policy-violation" and len(failure["attempts"]) == 1
    assert "denied" in failure["message"]
    assert f"agent/{task_id}" not in _branches(app, tenant)
    assert ".github/workflows" not in _git(app, tenant, "log", "--all", "--name-only", "--format=")
