"""``POST /api/webhooks/{provider}/{tenant}`` end to end on devhost: the real trigger, the real
Durable client, the real database."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
import pytest

from shared.domain.task import Provider
from shared.domain.tenant import TenantStatus
from tests.e2e.intake.conftest import CREDENTIALS, Webhooks
from tests.integration.intake.conftest import resigned
from tests.unit.intake.deliveries import (
    Credentials,
    Fixture,
    all_fixtures,
    github_comment,
    headers_for,
)
from tests.unit.intake.expected import TRIGGERS, command_variants, expected_intake_outcome

_WRONG = Credentials(github="x", gitlab="x", azure_devops_basic="hook:x", azure_devops_header="x")


@pytest.fixture(scope="module")
def tenants(webhooks: Webhooks) -> dict[Provider, str]:
    return {p: webhooks.tenant(TRIGGERS[p]) for p in TRIGGERS}


def _wait_for(webhooks: Webhooks, instance_id: str, status: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = webhooks.instance(instance_id)
        if found and found["runtimeStatus"] == status:
            return found
        time.sleep(0.05)
    raise AssertionError(f"{instance_id} never became {status}: {webhooks.instance(instance_id)}")


@pytest.mark.parametrize("item", all_fixtures(), ids=lambda f: f.path)
def test_every_real_payload_signed_is_accepted_or_ignored_and_never_fails(
    webhooks: Webhooks, tenants: dict[Provider, str], item: Fixture
) -> None:
    expected = expected_intake_outcome(item, connections=True)
    tenant = (
        webhooks.tenant(TRIGGERS[item.provider]) if expected == "task" else tenants[item.provider]
    )
    reply = webhooks.send(tenant, item)
    if expected == "task":
        assert reply.status == 202, reply
        # SCMs show this body in delivery logs: the tasks API URL, no management URL or key.
        assert set(reply.body) == {"id", "status"}
        assert reply.headers["Location"] == reply.body["status"]
        assert reply.body["status"].endswith(f"/api/tenants/{tenant}/tasks/{reply.body['id']}")
        started = _wait_for(webhooks, reply.body["id"], "Running")
        assert started["name"] == "patch_flow"
    else:
        assert (reply.status, reply.body) == (200, {"status": "ignored", "reason": expected})


@pytest.mark.parametrize("item", all_fixtures(), ids=lambda f: f.path)
def test_wrongly_signed_unsigned_and_truncated_payloads_get_401_or_400(
    webhooks: Webhooks, tenants: dict[Provider, str], item: Fixture
) -> None:
    tenant = tenants[item.provider]
    wrong = webhooks.send(tenant, item, headers_for(item, _WRONG))
    unsigned = webhooks.send(tenant, item, headers_for(item, None))
    assert (wrong.status, unsigned.status) == (401, 401)
    assert (
        wrong.body
        == unsigned.body
        == {
            "error": "unauthenticated",
            "message": "authentication required",
        }
    )
    cut = Fixture(item.path, item.body[: len(item.body) // 2])
    truncated = webhooks.send(tenant, cut, resigned(cut, headers_for(item, CREDENTIALS), cut.body))
    assert (truncated.status, truncated.body["error"]) == (400, "malformed-json")


@pytest.mark.parametrize("variant", command_variants()[:6], ids=lambda v: v.name)
def test_a_command_in_a_real_comment_starts_patch_flow_with_the_task(
    webhooks: Webhooks, variant
) -> None:
    tenant = webhooks.tenant(TRIGGERS[variant.item.provider])
    reply = webhooks.send(tenant, variant.item)
    assert reply.status == 202
    started = _wait_for(webhooks, reply.body["id"], "Running")
    task = started["input"]
    assert {k: task[k] for k in variant.expected} == {
        k: str(v) for k, v in variant.expected.items()
    }
    assert (task["tenant"], task["id"]) == (tenant, reply.body["id"])


def test_duplicate_deliveries_sent_50_times_concurrently_start_exactly_one_orchestration(
    webhooks: Webhooks,
) -> None:
    tenant = webhooks.tenant()
    item = github_comment("/agent fix the typo")
    headers = headers_for(item, CREDENTIALS, delivery_id="one-delivery")

    async def burst() -> list[tuple[int, dict[str, Any]]]:
        async with aiohttp.ClientSession() as session:

            async def one() -> tuple[int, dict[str, Any]]:
                url = webhooks.url(tenant, "github")
                async with session.post(url, data=item.body, headers=headers) as response:
                    return response.status, await response.json()

            return await asyncio.gather(*(one() for _ in range(50)))

    replies = asyncio.run(burst())
    created = [body for status, body in replies if status == 202]
    duplicates = [body for status, body in replies if status == 200]
    assert len(created) == 1 and len(duplicates) == 49
    task_id = created[0]["id"]
    assert all(d == {"status": "duplicate", "task_id": task_id} for d in duplicates)
    _wait_for(webhooks, task_id, "Running")
    with webhooks.db.connection() as conn:
        rows = conn.execute(
            "SELECT count(*) AS n FROM intake_durable.history"
            " WHERE instance_id = %s AND (event->>'EventType')::int = 0",  # ExecutionStarted
            (task_id,),
        ).fetchone()
    assert rows is not None and rows["n"] == 1


def test_the_agents_own_comment_with_a_command_is_ignored(webhooks: Webhooks) -> None:
    tenant = webhooks.tenant({"agent_accounts": ["agent-svc"]})
    reply = webhooks.send(tenant, github_comment("/agent fix it\nStarted.", user="agent-svc"))
    assert (reply.status, reply.body) == (200, {"status": "ignored", "reason": "own-comment"})


def test_a_burst_over_the_rate_limit_gets_429_with_retry_after(webhooks: Webhooks) -> None:
    tenant = webhooks.tenant()
    with webhooks.db.connection() as conn:
        conn.execute(
            "UPDATE platform.quotas SET webhook_rate_per_sec = 0.05, webhook_burst = 3"
            " WHERE tenant = %s",
            (tenant,),
        )
    replies = [webhooks.send(tenant, github_comment("/agent fix", issue=n)) for n in range(1, 7)]
    assert [r.status for r in replies] == [202, 202, 202, 429, 429, 429]
    assert all(1 <= int(r.headers["Retry-After"]) <= 20 for r in replies[3:])
    assert replies[3].body["error"] == "rate-limited"


def test_cancel_terminates_and_approve_completes_the_running_orchestration(
    webhooks: Webhooks,
) -> None:
    tenant = webhooks.tenant({"allowed_approvers": ["alice"]})
    first = webhooks.send(tenant, github_comment("/agent fix the typo", issue=1))
    _wait_for(webhooks, first.body["id"], "Running")
    cancelled = webhooks.send(tenant, github_comment("/agent cancel", issue=1))
    assert cancelled.body == {"status": "cancelled", "task_id": first.body["id"]}
    _wait_for(webhooks, first.body["id"], "Terminated")

    second = webhooks.send(tenant, github_comment("/agent fix it", issue=2))
    task_id = second.body["id"]
    _wait_for(webhooks, task_id, "Running")
    with webhooks.db.tenant_transaction(webhooks.directory.locate(tenant)) as tx:
        tx.conn.execute(
            "UPDATE tasks SET status = %s WHERE id = %s", ("awaiting_approval", task_id)
        )
    approved = webhooks.send(
        tenant, github_comment("/agent approve ship it", issue=2, user="alice")
    )
    assert approved.body == {"status": "approval-sent", "task_id": task_id}
    done = _wait_for(webhooks, task_id, "Completed")
    event = done["output"]["approval"]
    assert list(event) == ["decision_id"]  # the event names the decision recorded first
    with webhooks.db.tenant_transaction(webhooks.directory.locate(tenant)) as tx:
        recorded = tx.conn.execute(
            "SELECT principal, via, task_id FROM approval_events WHERE id = %s",
            (event["decision_id"],),
        ).fetchone()
    assert recorded == {"principal": "alice", "via": "comment", "task_id": task_id}


def test_bad_requests_get_their_4xx(webhooks: Webhooks) -> None:
    tenant = webhooks.tenant()
    item = github_comment("/agent fix")
    assert webhooks.send("no-such-tenant", item).status == 404
    assert webhooks.send(tenant, item, {"X-GitHub-Event": "issues"}).status == 401
    missing_id = headers_for(item, CREDENTIALS)
    del missing_id["X-GitHub-Delivery"]
    reply = webhooks.send(tenant, item, missing_id)
    assert (reply.status, reply.body["error"]) == (400, "missing-delivery-id")
    huge = Fixture(item.path, b'{"pad": "' + b"x" * (5 * 1024 * 1024) + b'"}')
    assert webhooks.send(tenant, huge).status == 413
    off = webhooks.tenant()
    webhooks.directory.set_status(off, TenantStatus.DISABLED)
    reply = webhooks.send(off, item)
    assert (reply.status, reply.body["error"]) == (403, "tenant-disabled")
