"""Benchmark: many tenants' tasks through the whole patch_flow at once, on devhost.

``--tenants`` (default 50) tenants each get their own local_git copy of the demo repository and
``--tasks`` (default 10) issues; one signed GitHub ``issue_comment`` per issue is sent, all at
once, with the scripted LLM and approval turned off by policy (``approval: never``), so each
task runs start → context → generate → validate (with the repo's real unittest check) → risk
→ PR → comment → finish. Reported: completion time, throughput, task duration p50/p95, and the
engine's share of a task's duration: the time between activities (replay, persistence,
dispatch) against the time the activities took (scheduled → completed, queue wait included).
Every task is checked: completed once (one ``ExecutionStarted``), one PR on its own branch, one
stored delivery.

    python -m benchmarks.patch_flow_scale [--tenants 50] [--tasks 10]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devhost.durable.events import EventType, parse_time
from devhost.testing import RunningDevhost, started_devhost
from shared.bootstrap import Container, container
from shared.services.admin.access import OPERATOR
from tools.demo.scenario import (
    COMMAND,
    RECORDINGS,
    REPOSITORY,
    DemoTenant,
    encode,
    file_issue,
    issue_comment,
    prepare_tenant,
    signed_headers,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
SCRIPTED = [{"provider": "scripted", "model": "demo"}]


def post(base: str, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, Any]:
    request = urllib.request.Request(base + path, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


@dataclass
class LoadResult:
    tasks: dict[str, str] = field(default_factory=dict)  # task id -> tenant
    refused: list[tuple[int, Any]] = field(default_factory=list)
    elapsed_s: float = 0.0


def prepare(
    app: Container, tenants: int, tasks: int, prefix: str
) -> list[tuple[DemoTenant, list[int]]]:
    prepared = []
    for n in range(tenants):
        tenant = prepare_tenant(app, f"{prefix}-{n}", llm_routes=SCRIPTED, approval="never")
        # every task of a tenant may run at once: this measures the flow, not the quota
        quotas, version = app.admin.platform.quotas(tenant.slug)
        wanted = {**quotas, "max_concurrent_tasks": max(tasks, quotas["max_concurrent_tasks"])}
        app.admin.platform.set_quotas(tenant.slug, wanted, version, OPERATOR)
        issues = [tenant.issue_number] + [file_issue(app, tenant.slug) for _ in range(tasks - 1)]
        prepared.append((tenant, issues))
    return prepared


def send_all(
    base: str, prepared: list[tuple[DemoTenant, list[int]]], senders: int = 50
) -> LoadResult:
    """Send every delivery concurrently; the accepted task ids."""
    result = LoadResult()

    def send(tenant: DemoTenant, issue: int) -> tuple[str, int, Any]:
        body = encode(issue_comment(REPOSITORY, issue, COMMAND))
        code, answer = post(
            base,
            f"/api/webhooks/github/{tenant.slug}",
            body,
            signed_headers(body, tenant.webhook_secret),
        )
        return tenant.slug, code, answer

    started = time.monotonic()
    with ThreadPoolExecutor(senders) as pool:
        jobs = [pool.submit(send, t, i) for t, issues in prepared for i in issues]
        for job in jobs:
            slug, code, answer = job.result()
            if code == 202:
                result.tasks[answer["id"]] = slug
            else:
                result.refused.append((code, answer))
    result.elapsed_s = time.monotonic() - started
    return result


def wait_all(host: RunningDevhost, task_ids: list[str], deadline_s: float) -> dict[str, Any]:
    """Final statuses of every task (``Completed`` or not) once all ended or time ran out."""
    from azure.durable_functions import DurableOrchestrationClient

    client = DurableOrchestrationClient(host.client_binding())
    pending, done = set(task_ids), {}
    deadline = time.monotonic() + deadline_s
    while pending and time.monotonic() < deadline:
        for task_id in list(pending):
            status = host.run(client.get_status(task_id))
            if status.runtime_status and status.runtime_status.value in (
                "Completed",
                "Failed",
                "Terminated",
            ):
                done[task_id] = status
                pending.discard(task_id)
        time.sleep(0.5)
    return done


def task_timing(history: list[dict[str, Any]]) -> tuple[float, float]:
    """(task duration, time inside activities) from a stored history, in seconds."""
    started = parse_time(history[0]["Timestamp"])
    ended = parse_time(history[-1]["Timestamp"])
    scheduled: dict[int, Any] = {}
    inside = 0.0
    for event in history:
        kind = event["EventType"]
        if kind == EventType.TASK_SCHEDULED:
            scheduled[event["EventId"]] = parse_time(event["Timestamp"])
        elif kind in (EventType.TASK_COMPLETED, EventType.TASK_FAILED):
            begin = scheduled.pop(event["TaskScheduledId"], None)
            if begin is not None:
                inside += (parse_time(event["Timestamp"]) - begin).total_seconds()
    return (ended - started).total_seconds(), inside


def verify(
    app: Container, host: RunningDevhost, load: LoadResult, done: dict[str, Any]
) -> list[str]:
    """Everything that is wrong: lost, failed or duplicated tasks, missing or extra PRs."""
    problems = [f"refused: {r}" for r in load.refused]
    problems += [f"not finished: {t}" for t in load.tasks if t not in done]
    for task_id, status in done.items():
        output = status.output or {}
        if output.get("outcome") != "completed":
            problems.append(f"{task_id}: {status.runtime_status} {output}")
        starts = [e for e in host.history(task_id) if e["EventType"] == EventType.EXECUTION_STARTED]
        if len(starts) != 1:
            problems.append(f"{task_id}: started {len(starts)} times")
    per_tenant: dict[str, int] = {}
    for slug in load.tasks.values():
        per_tenant[slug] = per_tenant.get(slug, 0) + 1
    for slug, expected in per_tenant.items():
        with app.db.tenant_transaction(app.tenants.locate(slug)) as tx:
            prs = tx.conn.execute(
                "SELECT count(*) AS n, count(DISTINCT source_branch) AS branches "
                "FROM scm_pull_requests"
            ).fetchone()
        if (prs["n"], prs["branches"]) != (expected, expected):
            problems.append(
                f"{slug}: {prs['n']} PRs on {prs['branches']} branches, expected {expected}"
            )
    return problems


def run(database_url: str, tenants: int, tasks: int, data_dir: Path) -> int:
    prefix = f"s{secrets.token_hex(2)}"
    settings = {
        "DATA_DIR": str(data_dir),
        "TENANT_ROLE_PREFIX": f"r{prefix}_",
        "LLM_RECORDINGS_DIR": str(RECORDINGS),
    }
    container.cache_clear()
    with started_devhost(
        REPO_ROOT, database_url, schema=f"scale_{prefix}", settings=settings
    ) as host:
        app = container()
        app.tenants.migrate()
        prepared = prepare(app, tenants, tasks, prefix)
        started = time.monotonic()
        load = send_all(host.base_url, prepared)
        done = wait_all(host, list(load.tasks), deadline_s=60 + 3 * tenants * tasks)
        total = time.monotonic() - started
        problems = verify(app, host, load, done)
        timings = [task_timing(host.history(t)) for t in done]
        for tenant, _ in prepared:  # their databases and roles outlive the fresh database
            app.tenants.deprovision(tenant.slug)
    container.cache_clear()
    durations = sorted(d for d, _ in timings)
    engine = [1 - inside / d for d, inside in timings if d > 0]
    n = len(durations)
    print(
        f"{tenants} tenants x {tasks} tasks = {tenants * tasks} tasks; load average "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    print(
        f"  webhooks sent in {load.elapsed_s:.1f} s; all tasks ended in {total:.1f} s "
        f"({n / total:.2f} tasks/s)"
    )
    if n:
        print(
            f"  task duration p50 {durations[n // 2]:.2f} s, "
            f"p95 {durations[min(n - 1, int(n * 0.95))]:.2f} s"
        )
        print(
            f"  engine share of a task (time between activities): median "
            f"{statistics.median(engine):.1%}; activities (queue + run): "
            f"{1 - statistics.median(engine):.1%}"
        )
    print(f"  lost, failed or duplicated: {len(problems)}")
    for problem in problems[:20]:
        print(f"    {problem}")
    return 1 if problems else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=50)
    parser.add_argument("--tasks", type=int, default=10)
    args = parser.parse_args()
    import tempfile

    from benchmarks.durable_engine import fresh_database

    with fresh_database() as url, tempfile.TemporaryDirectory() as data_dir:
        return run(url, args.tenants, args.tasks, Path(data_dir))


if __name__ == "__main__":
    raise SystemExit(main())
