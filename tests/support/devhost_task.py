"""One patch-flow task driven over HTTP against a devhost at ``base`` (a child process, or the
suite's in-process host): the signed ``/agent`` issue comment, the wait for the approval step,
an Approver's decision through the tasks API, and waits on the instance's status through the
Durable management API."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from typing import Any

from devhost.dev_oidc import DevIssuer
from shared.bootstrap import Container
from tests.support.devhost_process import MANAGEMENT, http
from tools.demo.scenario import (
    COMMAND,
    REPOSITORY,
    DemoTenant,
    encode,
    issue_comment,
    signed_headers,
)

Status = dict[str, Any]


def wait_for(
    base: str, task_id: str, done: Callable[[Status], bool], timeout: float = 120.0
) -> Status:
    """The status of instance ``task_id`` on the host at ``base`` once ``done`` holds; fails at
    once if the instance failed or was terminated instead (no test waits for those here)."""
    deadline = time.monotonic() + timeout
    status: Status = {}
    while time.monotonic() < deadline:
        code, status = http("GET", f"{base}{MANAGEMENT}/instances/{task_id}")
        assert code in (200, 202), (code, status)
        if done(status):
            return status
        assert status["runtimeStatus"] not in ("Failed", "Terminated"), status
        time.sleep(0.05)
    raise AssertionError(f"timed out; last status {status}")


def completed(status: Status) -> bool:
    return bool(status["runtimeStatus"] == "Completed")


def start_task(base: str, tenant: DemoTenant, headers: Mapping[str, str] | None = None) -> str:
    """Post the demo command on the tenant's issue to the host at ``base`` (``headers`` added to
    the signed ones); the id of the task it accepted."""
    body = encode(issue_comment(REPOSITORY, tenant.issue_number, COMMAND))
    code, accepted = http(
        "POST",
        f"{base}/api/webhooks/github/{tenant.slug}",
        raw=body,
        headers={**signed_headers(body, tenant.webhook_secret), **(headers or {})},
    )
    assert code == 202, accepted
    return str(accepted["id"])


def comment_until_approval(
    base: str,
    tenant: DemoTenant,
    headers: Mapping[str, str] | None = None,
    timeout: float = 120.0,
) -> str:
    """Post the demo command on the tenant's issue to the host at ``base`` (``headers`` added to
    the signed ones) and wait until its task waits for approval; the task id."""
    task_id = start_task(base, tenant, headers)
    wait_for(
        base,
        task_id,
        lambda s: (s.get("customStatus") or {}).get("step") == "awaiting-approval",
        timeout,
    )
    return task_id


def approve(
    base: str, slug: str, directory_id: str, task_id: str, issuer: DevIssuer, audience: str
) -> str:
    """An Approver of the tenant's directory ``directory_id`` approves the task through the
    tasks API; the bearer token it used (so tests can check it leaks nowhere)."""
    token = issuer.mint(
        tenant_id=directory_id,
        username="lead@contoso.example",
        audience=audience,
        roles=["Approver"],
    )
    code, body = http(
        "POST",
        f"{base}/api/tenants/{slug}/tasks/{task_id}/approval",
        raw=json.dumps({"decision": "approve", "comment": "looks right"}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    assert code == 202, body
    return token


def delivered(app: Container, slug: str) -> tuple[list[str], list[str]]:
    """What tasks delivered to the tenant's local_git SCM: the pull requests' branches and the
    agent's comments (exactly one of each per task, however often the host died)."""
    with app.db.tenant_transaction(app.tenants.locate(slug)) as tx:
        prs = tx.conn.execute("SELECT source_branch FROM scm_pull_requests").fetchall()
        comments = tx.conn.execute(
            "SELECT body FROM scm_comments WHERE author = 'ai-code-agent'"
        ).fetchall()
    return [p["source_branch"] for p in prs], [c["body"] for c in comments]
