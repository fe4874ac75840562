"""Tasks for SSO users on devhost: the approvals queue shows exactly the tasks the caller may
decide (with the diff, risk and check), usage adds up to the tasks' lineage, the timeline shows
the status changes, and tasks can be listed, filtered, paged and cancelled."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from devhost.dev_oidc import object_id_for
from tests.e2e.admin_api.rows import insert_task
from tests.support.devhost_task import comment_until_approval
from tools.demo.scenario import APPROVER

REQUESTER_ENTRA = "octo-dev@contoso.example"  # linked to octo-dev by the demo tenant


def _ids(page: dict) -> list[str]:
    return [item["task"]["id"] for item in page["items"]]


def test_the_queue_holds_exactly_the_tasks_the_caller_may_decide(api, app, demo_tenant):
    tenant, other = demo_tenant(), demo_tenant()
    real = comment_until_approval(api.base_url, tenant)  # requested by octo-dev
    by_lead = insert_task(app, tenant.slug, requester="octo-lead", status="awaiting_approval")
    by_dev_running = insert_task(app, tenant.slug, requester="octo-dev", status="running")
    decided = insert_task(
        app, tenant.slug, requester="octo-dev", status="awaiting_approval", decided_by="x"
    )
    elsewhere = insert_task(app, other.slug, requester="octo-dev", status="awaiting_approval")
    path = f"tenants/{tenant.slug}/approvals"

    lead = api.token(tenant.directory_id, APPROVER, "Approver")
    code, queue = api.call("GET", path, lead)
    assert code == 200 and _ids(queue) == [real]  # nothing else waits for them
    item = queue["items"][0]
    assert item["diff"].startswith("diff --git a/calc/stats.py")
    assert "+    for value in values:" in item["diff"]
    assert item["risk"]["level"] in ("low", "medium", "high") and "reasons" in item["risk"]
    assert item["check"] is None or "passed" in item["check"]

    # The requester (linked as octo-dev), as an Approver, sees the lead's task and not their own.
    dev = api.token(tenant.directory_id, REQUESTER_ENTRA, "Approver")
    assert _ids(api.call("GET", path, dev)[1]) == [by_lead]
    # Someone with no linked SCM identity may decide nothing here, so sees nothing.
    stranger = api.token(tenant.directory_id, "stranger@contoso.example", "Approver")
    assert _ids(api.call("GET", path, stranger)[1]) == []
    # A Viewer has no queue at all.
    viewer = api.token(tenant.directory_id, "viewer@contoso.example", "Viewer")
    assert api.call("GET", path, viewer)[0] == 403

    # The queue is what deciding allows: the others are refused, the listed one is taken.
    decide = f"tenants/{tenant.slug}/tasks/{{}}/approval"
    approve = {"decision": "approve"}
    assert api.call("POST", decide.format(by_lead), lead, approve)[1]["code"] == (
        "requester-cannot-approve"
    )
    for refused in (by_dev_running, decided):
        assert api.call("POST", decide.format(refused), lead, approve)[0] == 409
    assert api.call("POST", decide.format(elsewhere), lead, approve)[1]["code"] == "task-not-found"
    code, _ = api.call("POST", decide.format(real), lead, approve)
    assert code == 202
    done = api.wait(real, lambda s: s["runtimeStatus"] == "Completed")
    assert done["output"]["outcome"] == "completed"
    assert _ids(api.call("GET", path, lead)[1]) == []

    # Usage adds up to the tasks' lineage rows (the LLM calls each task's detail shows).
    admin = api.token(tenant.directory_id, "admin@contoso.example", "TenantAdmin")
    code, usage = api.call("GET", f"tenants/{tenant.slug}/usage", admin)
    assert code == 200
    code, detail = api.call("GET", f"tenants/{tenant.slug}/tasks/{real}", admin)
    calls = detail["llm_calls"]
    assert calls and detail["lineage"]["outcome"] == "completed"
    totals = usage["totals"]
    assert totals["llm_calls"] == len(calls)
    assert totals["input_tokens"] == sum(c["input_tokens"] for c in calls)
    assert totals["output_tokens"] == sum(c["output_tokens"] for c in calls)
    assert totals["tokens"] == totals["input_tokens"] + totals["output_tokens"]
    assert abs(totals["cost_usd"] - sum(c["cost_usd"] for c in calls)) < 1e-6
    assert sum(d["tokens"] for d in usage["days"]) == totals["tokens"]
    code, listed = api.call("GET", f"tenants/{tenant.slug}/tasks?limit=200", admin)
    outcomes: dict[str, int] = {}
    for task in listed["items"]:
        outcomes[task["status"]] = outcomes.get(task["status"], 0) + 1
    assert totals["tasks_by_outcome"] == outcomes and outcomes["completed"] == 1
    assert totals["lead_time_s_avg"] is not None and totals["lead_time_s_avg"] >= 0

    # The timeline: the status changes in order, among the audit events.
    code, timeline = api.call("GET", f"tenants/{tenant.slug}/tasks/{real}/timeline", admin)
    statuses = [e["status"] for e in timeline["entries"] if e["status"]]
    assert statuses == ["queued", "running", "awaiting_approval", "completed"]
    assert "approval.verified" in [e["kind"] for e in timeline["entries"]]


def test_tasks_list_filters_and_pages_with_a_cursor(api, app, demo_tenant):
    tenant = demo_tenant()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    made = [
        insert_task(
            app,
            tenant.slug,
            requester=("alice" if i % 2 else "bob"),
            status=("failed" if i % 3 == 0 else "completed"),
            repository=("demo/calc" if i < 5 else "demo/other"),
            created_at=start + timedelta(hours=i),
        )
        for i in range(7)
    ]
    viewer = api.token(tenant.directory_id, "viewer@contoso.example", "Viewer")
    base = f"tenants/{tenant.slug}/tasks"
    seen, cursor = [], ""
    while True:
        code, page = api.call("GET", f"{base}?limit=3{cursor}", viewer)
        assert code == 200 and len(page["items"]) <= 3
        seen += [t["id"] for t in page["items"]]
        if page["next_cursor"] is None:
            break
        cursor = f"&cursor={page['next_cursor']}"
    assert seen == list(reversed(made))  # newest first, each exactly once

    def ids(query: str) -> set[str]:
        code, page = api.call("GET", f"{base}?limit=200&{query}", viewer)
        assert code == 200
        return {t["id"] for t in page["items"]}

    assert ids("status=failed") == {made[i] for i in (0, 3, 6)}
    assert ids("requester=alice") == {made[i] for i in (1, 3, 5)}
    assert ids("repository=demo/other") == {made[5], made[6]}
    assert ids("since=2026-01-01T04:00:00Z") == set(made[4:])
    assert ids("status=failed&requester=bob") == {made[0], made[6]}


def test_cancel_is_for_a_tenant_admin_or_the_requester(api, app, demo_tenant):
    tenant = demo_tenant()
    mine = insert_task(app, tenant.slug, requester="octo-dev", status="running")
    theirs = insert_task(app, tenant.slug, requester="octo-lead", status="queued")
    path = f"tenants/{tenant.slug}/tasks/{{}}/cancel"
    requester = api.token(tenant.directory_id, REQUESTER_ENTRA, "Viewer")
    assert api.call("POST", path.format(theirs), requester)[0] == 403
    code, cancelled = api.call("POST", path.format(mine), requester)
    assert (code, cancelled["status"]) == (200, "cancelled")
    assert api.call("POST", path.format(mine), requester)[1]["code"] == "task-finished"
    admin = api.token(tenant.directory_id, "admin@contoso.example", "TenantAdmin")
    assert api.call("POST", path.format(theirs), admin)[1]["status"] == "cancelled"
    auditor = api.token(tenant.directory_id, "auditor@contoso.example", "Auditor")
    code, page = api.call("GET", f"tenants/{tenant.slug}/audit?kind=task.cancelled", auditor)
    actors = sorted(e["actor"] for e in page["items"])
    assert actors == sorted(
        [
            f"admin@contoso.example ({object_id_for('admin@contoso.example')})",
            f"{REQUESTER_ENTRA} ({object_id_for(REQUESTER_ENTRA)})",
        ]
    )
