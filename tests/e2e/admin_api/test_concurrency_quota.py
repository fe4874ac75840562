"""``max_concurrent_tasks`` on devhost: set through the admin API, enforced by the flow. A task
over the quota waits (queued, ``waiting-for-slot``) and goes on once a slot frees: never dropped.
The claim itself: concurrent claimers never overshoot the quota."""

from __future__ import annotations

import json
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from shared.adapters.store.postgres.admin import PostgresTaskSlots
from shared.adapters.store.postgres.platform_admin import PostgresQuotas
from tests.e2e.admin_api.conftest import PLATFORM_DIRECTORY
from tests.e2e.admin_api.rows import insert_task
from tests.support.devhost_task import start_task


def _set_quota(api, slug: str, **values) -> None:
    ops = api.token(PLATFORM_DIRECTORY, "ops@platform.example", "PlatformAdmin")
    path = f"tenants/{slug}/quotas"
    request = urllib.request.Request(f"{api.base_url}/api/{path}", headers=ops)
    with urllib.request.urlopen(request, timeout=30) as response:
        etag, quotas = response.headers["ETag"], json.loads(response.read())
    code, _ = api.call("PUT", path, {**ops, "If-Match": etag}, {**quotas, **values})
    assert code == 200


def _status(app, slug: str, task_id: str) -> str:
    with app.db.tenant_transaction(app.tenants.locate(slug)) as tx:
        row = tx.conn.execute("SELECT status FROM tasks WHERE id = %s", (task_id,)).fetchone()
    return str(row["status"])


def test_a_task_over_the_quota_waits_queued_then_runs(api, app, demo_tenant):
    tenant = demo_tenant()
    _set_quota(api, tenant.slug, max_concurrent_tasks=1)
    busy = insert_task(app, tenant.slug, requester="octo-lead", status="running")

    task_id = start_task(api.base_url, tenant)
    api.wait(task_id, lambda s: (s.get("customStatus") or {}).get("step") == "waiting-for-slot")
    time.sleep(2.0)  # several retries (TASK_SLOT_RETRY_S=0.5): it keeps waiting, queued
    waited = api.status(task_id)
    assert waited["runtimeStatus"] == "Running"
    assert waited["customStatus"]["step"] == "waiting-for-slot"
    assert _status(app, tenant.slug, task_id) == "queued"

    with app.db.tenant_transaction(app.tenants.locate(tenant.slug)) as tx:
        tx.conn.execute("UPDATE tasks SET status = 'completed' WHERE id = %s", (busy,))
    api.wait(task_id, lambda s: (s.get("customStatus") or {}).get("step") == "awaiting-approval")
    assert _status(app, tenant.slug, task_id) == "awaiting_approval"


def test_concurrent_claims_never_overshoot_the_quota(api, app, demo_tenant):
    tenant = demo_tenant()
    _set_quota(api, tenant.slug, max_concurrent_tasks=2)
    queued = [insert_task(app, tenant.slug, requester="u", status="queued") for _ in range(6)]
    slots = PostgresTaskSlots(app.db, app.tenants, app.audit, PostgresQuotas(app.db))
    with ThreadPoolExecutor(6) as pool:
        granted = list(pool.map(lambda t: slots.claim(tenant.slug, t), queued))
    assert granted.count(True) == 2
    running = [t for t in queued if _status(app, tenant.slug, t) == "running"]
    assert sorted(running) == sorted(t for t, ok in zip(queued, granted, strict=True) if ok)
    assert slots.claim(tenant.slug, running[0]) is True  # a retried claim keeps its slot
