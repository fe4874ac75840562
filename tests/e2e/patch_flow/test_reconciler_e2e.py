"""The reconciler on devhost with the real app: a task committed at intake whose orchestration
start failed is started by the ``reconcile_tasks`` timer function (run through the host's admin
API instead of waiting for its minute) and runs as if intake had started it."""

from __future__ import annotations

import asyncio
import secrets
import time
from datetime import UTC, datetime

import pytest

from shared.domain.errors import Unavailable
from shared.ports.orchestrations import FakeOrchestrations
from shared.services.intake import ReceiveDelivery
from tests.support.devhost_process import http as http_call
from tools.demo.scenario import (
    COMMAND,
    REPOSITORY,
    encode,
    issue_comment,
    prepare_tenant,
    signed_headers,
)

SCRIPTED = [{"provider": "scripted", "model": "demo"}]


def test_a_task_whose_start_failed_at_intake_is_started_by_the_reconciler_timer(app, http) -> None:
    tenant = prepare_tenant(app, f"recon-{secrets.token_hex(3)}", llm_routes=SCRIPTED)
    body = encode(issue_comment(REPOSITORY, tenant.issue_number, COMMAND))
    headers = signed_headers(body, tenant.webhook_secret)
    delivery = ReceiveDelivery(
        provider="github",
        tenant=tenant.slug,
        headers={k.lower(): v for k, v in headers.items()},
        body=body,
        received_at=datetime.now(UTC),
    )
    down = FakeOrchestrations(unavailable=True)  # the host refused the start after the commit
    with pytest.raises(Unavailable):
        asyncio.run(app.intake.receive(delivery, down))
    with app.db.tenant_transaction(app.tenants.locate(tenant.slug)) as tx:
        [task] = tx.conn.execute("SELECT id, status FROM tasks").fetchall()
    assert task["status"] == "queued"
    assert http.request("GET", f"/runtime/webhooks/durabletask/instances/{task['id']}")[0] == 404

    time.sleep(1.1)  # older than RECONCILE_START_AFTER_S
    assert http_call("POST", f"{http.base_url}/admin/functions/reconcile_tasks", {})[0] == 202
    deadline = time.monotonic() + 60  # the pass goes over every tenant of the test database
    path = f"/runtime/webhooks/durabletask/instances/{task['id']}"
    while http.request("GET", path)[0] == 404:
        assert time.monotonic() < deadline, "the reconciler never started the task"
        time.sleep(0.1)
    status = http.wait(
        task["id"], lambda s: (s.get("customStatus") or {}).get("step") == "awaiting-approval"
    )

    assert status["name"] == "patch_flow"
    assert (status["input"]["id"], status["input"]["tenant"]) == (task["id"], tenant.slug)
    with app.db.tenant_transaction(app.tenants.locate(tenant.slug)) as tx:
        events = tx.conn.execute(  # the task's own (setting the tenant up audits too)
            "SELECT kind FROM audit_events WHERE task_id = %s ORDER BY seq", (task["id"],)
        )
        kinds = [r["kind"] for r in events]
    assert kinds[:2] == ["task.received", "task.started-by-reconciler"]
    assert app.audit.verify_chain(tenant.slug).ok
