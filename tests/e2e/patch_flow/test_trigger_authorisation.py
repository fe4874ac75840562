"""Trigger authorisation end to end on devhost, against each hosted SCM's local REST server and
on local_git: only people who may push start work; anyone else's command starts nothing (no
repository read, no LLM call) and gets exactly one reply; the agent's own comments and its
connection's account trigger nothing; a command over the tenant's rate limit is answered once.
"""

from __future__ import annotations

import re
import secrets
import time

from shared.adapters.scm.local_git import LocalCollaborators, LocalIssues
from shared.domain.scm import comment_marker, marker_task_id
from shared.domain.task import SourceKind
from tests.e2e.patch_flow.test_saas_flows import connect_tenant, hosted  # noqa: F401 (fixture)
from tests.unit.intake.deliveries import headers_for
from tools.demo.scenario import (
    COMMAND,
    REPOSITORY,
    encode,
    issue_comment,
    prepare_tenant,
    signed_headers,
)

SCRIPTED = [{"provider": "scripted", "model": "demo"}]
#: What authorising may ask of an SCM: permissions, identities, its own account, the reply.
#: Nothing that reads the repository's content (trees, files, blobs, commits, refs).
AUTHORISING = re.compile(
    r"/permission$|/user$|/users$|/members/all/\d+$|(?i:identities|accesscontrollists|"
    r"connectiondata)|/comments(/\d+)?$|/notes(/\d+)?$|/_apis/git/repositories/calc$"
)

#: The one request that answers "may this person push?" on each SCM.
PERMISSION_CHECK = r"/permission$|/members/all/\d+$|(?i:accesscontrollists)"


def _kinds(app, slug: str, task_id: str) -> list[str]:
    with app.db.tenant_transaction(app.tenants.locate(slug)) as tx:
        rows = tx.conn.execute(
            "SELECT kind FROM audit_events WHERE task_id = %s ORDER BY seq", (task_id,)
        ).fetchall()
    return [str(r["kind"]) for r in rows]


def _agent_comments(bodies: list[str]) -> list[str]:
    return [b for b in bodies if marker_task_id(b) is not None]


def _finished(http, task_id: str) -> dict:
    return http.wait(task_id, lambda s: s["runtimeStatus"] == "Completed")["output"]


def test_only_writers_start_work_and_a_refused_author_gets_one_reply(
    app,
    http,
    hosted,  # noqa: F811 (the fixture, imported)
) -> None:
    scm, token = hosted
    tenant = connect_tenant(app, scm, token)

    def send(body: str, user: str) -> tuple[int, dict]:
        item = scm.delivery(body, user)
        return http.request(
            "POST", tenant.webhook, item.body, headers_for(item, tenant.credentials)
        )

    scm.server.clear()
    code, first = send(COMMAND, scm.outsider)
    assert code == 202, first
    output = _finished(http, first["id"])
    assert (output["outcome"], output["refusal"]["reason"]) == ("not-authorised", "no-write-access")
    assert output["refusal"]["replied"] is True
    # Nothing read from the repository and no LLM call: the check came first.
    asked = [r for r in scm.server.requests if r.method != "OPTIONS"]
    assert asked and all(AUTHORISING.search(r.path) for r in asked), [r.path for r in asked]
    kinds = _kinds(app, tenant.slug, first["id"])
    assert kinds == ["task.received", "command.refused", "task.not-authorised"]
    [reply] = _agent_comments(scm.comments())
    assert comment_marker(first["id"]) in reply and "push" in reply

    # The same person again: refused and audited, but not answered a second time.
    code, second = send(COMMAND, scm.outsider)
    assert code == 202
    assert _finished(http, second["id"])["refusal"]["replied"] is False
    assert "command.refused" in _kinds(app, tenant.slug, second["id"])
    assert len(_agent_comments(scm.comments())) == 1
    # ... and the SCM was asked once: its answer is kept for up to five minutes.
    assert len(scm.server.calls("GET", PERMISSION_CHECK)) == 1

    # The agent's own (marked) comment and the connection's own account start nothing.
    marked = f"{COMMAND}\n\n{comment_marker(first['id'])}"
    assert send(marked, scm.writer) == (200, {"status": "ignored", "reason": "own-comment"})
    code, own = send(COMMAND, scm.bot)
    assert code == 202
    own_output = _finished(http, own["id"])
    assert own_output["refusal"] == {"authorised": False, "reason": "own-account", "replied": False}
    assert len(_agent_comments(scm.comments())) == 1

    # A writer's command starts the work (past authorisation, into the repository).
    code, started = send(COMMAND, scm.writer)
    assert code == 202
    http.wait(
        started["id"], lambda s: (s.get("customStatus") or {}).get("step") == "awaiting-approval"
    )
    assert _kinds(app, tenant.slug, started["id"])[:3] == [
        "task.received",
        "trigger.authorised",
        "task.started",
    ]
    assert app.audit.verify_chain(tenant.slug).ok


def test_local_git_writers_come_from_its_records_and_others_get_one_reply(app, http) -> None:
    tenant = prepare_tenant(app, f"trg-{secrets.token_hex(3)}", llm_routes=SCRIPTED)

    def send(body: str, user: str) -> tuple[int, dict]:
        payload = encode(issue_comment(REPOSITORY, tenant.issue_number, body, user=user))
        return http.request(
            "POST",
            f"/api/webhooks/github/{tenant.slug}",
            payload,
            signed_headers(payload, tenant.webhook_secret),
        )

    def replies() -> list[str]:
        item = LocalIssues(app.db, app.tenants).get_source(
            tenant.slug, REPOSITORY, SourceKind.ISSUE, str(tenant.issue_number)
        )
        return _agent_comments([c.body for c in item.comments])

    outcomes = []
    for _ in range(2):
        code, refused = send(COMMAND, "mallory")
        assert code == 202
        outcomes.append(_finished(http, refused["id"])["refusal"])
    assert [(o["reason"], o["replied"]) for o in outcomes] == [
        ("no-write-access", True),
        ("no-write-access", False),
    ]
    assert len(replies()) == 1
    assert "task.started" not in _kinds(app, tenant.slug, refused["id"])

    # Granted write in local_git's own records, the same person starts work.
    LocalCollaborators(app.db, app.tenants).grant(tenant.slug, REPOSITORY, "carol", "write")
    code, started = send(COMMAND, "carol")
    assert code == 202
    http.wait(
        started["id"], lambda s: (s.get("customStatus") or {}).get("step") == "awaiting-approval"
    )
    assert "trigger.authorised" in _kinds(app, tenant.slug, started["id"])


def test_a_command_over_the_rate_limit_is_refused_and_answered_once(app, http) -> None:
    tenant = prepare_tenant(app, f"rl-{secrets.token_hex(3)}", llm_routes=SCRIPTED)
    with app.db.connection() as conn:
        conn.execute(
            "UPDATE platform.quotas SET webhook_rate_per_sec = 0, webhook_burst = 0"
            " WHERE tenant = %s",
            (tenant.slug,),
        )
    for _ in range(2):
        payload = encode(issue_comment(REPOSITORY, tenant.issue_number, COMMAND))
        code, body = http.request(
            "POST",
            f"/api/webhooks/github/{tenant.slug}",
            payload,
            signed_headers(payload, tenant.webhook_secret),
        )
        assert code == 429, body

    issues = LocalIssues(app.db, app.tenants)

    def refused() -> list[str]:
        with app.db.tenant_transaction(app.tenants.locate(tenant.slug)) as tx:
            rows = tx.conn.execute(
                "SELECT data FROM audit_events WHERE kind = 'command.refused'"
            ).fetchall()
        return [r["data"]["reason"] for r in rows]

    deadline = time.monotonic() + 60
    while len(refused()) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert refused() == ["rate-limited", "rate-limited"]
    item = issues.get_source(tenant.slug, REPOSITORY, SourceKind.ISSUE, str(tenant.issue_number))
    [reply] = _agent_comments([c.body for c in item.comments])
    assert "rate limit" in reply


def test_a_command_over_the_llm_budget_is_answered_once(app, http) -> None:
    tenant = prepare_tenant(app, f"bg-{secrets.token_hex(3)}", llm_routes=SCRIPTED)
    with app.db.connection() as conn:
        conn.execute(
            "UPDATE platform.quotas SET daily_token_budget = 0 WHERE tenant = %s", (tenant.slug,)
        )
    codes = []
    for _ in range(2):
        payload = encode(issue_comment(REPOSITORY, tenant.issue_number, COMMAND))
        code, body = http.request(
            "POST",
            f"/api/webhooks/github/{tenant.slug}",
            payload,
            signed_headers(payload, tenant.webhook_secret),
        )
        assert code == 202, body
        codes.append(_finished(http, body["id"])["failure"]["code"])
        assert "command.refused" in _kinds(app, tenant.slug, body["id"])
    assert codes == ["budget-exceeded", "budget-exceeded"]
    item = LocalIssues(app.db, app.tenants).get_source(
        tenant.slug, REPOSITORY, SourceKind.ISSUE, str(tenant.issue_number)
    )
    [reply] = _agent_comments([c.body for c in item.comments])
    assert "budget" in reply
