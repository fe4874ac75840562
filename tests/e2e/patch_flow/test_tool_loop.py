"""The model works like an engineer on devhost: it searches, reads two files, then edits a third;
every tool call is an activity, visible in lineage and the audit log, and one PR comes out."""

from __future__ import annotations

import json

from shared.adapters.store.postgres.tasks import get_task
from tests.e2e.patch_flow.test_local_git_flow import _agent_comments, _git, _start


def test_scripted_model_searches_reads_two_files_then_edits_a_third(app, http):
    tenant, task_id = _start(app, http, recording="toolloop", approval="never")
    done = http.wait(task_id, lambda s: s["runtimeStatus"] == "Completed")
    assert done["output"]["outcome"] == "completed", done["output"]
    branch = f"agent/{task_id}"
    assert "for value in values:" in _git(app, tenant, "show", f"{branch}:calc/stats.py")
    assert _git(app, tenant, "diff", "--name-only", "main", branch).split() == ["calc/stats.py"]

    with app.db.tenant_transaction(app.tenants.locate(tenant.slug)) as tx:
        record = get_task(tx, task_id)
        prs = tx.conn.execute("SELECT source_branch FROM scm_pull_requests").fetchall()
        calls = tx.conn.execute(
            "SELECT outcome FROM llm_call_events WHERE task_id = %s", (task_id,)
        ).fetchall()
    assert [p["source_branch"] for p in prs] == [branch]
    assert len(calls) == 3  # search, then two reads at once, then the edit
    tools = record.lineage["tool_calls"]
    assert [(t["step"], t["call"]["name"], t["ok"]) for t in tools] == [
        (1, "search_code", True),
        (2, "read_file", True),
        (3, "read_file", True),
    ]
    assert [t["call"]["arguments"].get("path") for t in tools[1:]] == [
        "tests/test_stats.py",
        "README.md",
    ]
    audited = [json.loads(line) for line in app.audit.export(tenant.slug)]
    called = [e for e in audited if e["kind"] == "tool.called" and e.get("task_id") == task_id]
    assert [e["data"]["call"]["name"] for e in called] == ["search_code", "read_file", "read_file"]
    assert app.audit.verify_chain(tenant.slug).ok
    assert len(_agent_comments(app, tenant)) == 1
