"""Benchmark: the seed's scale on devhost — 500 concurrent clients across 50 tenants, against
the SLO (P95 < 5 s, errors < 0.1 %), with ``GET /api/health`` under the same load as baseline.

The real app runs on devhost in a child process (``python -m devhost start``: its own
interpreter), on the embedded PostgreSQL (or ``DATABASE_URL``/``DATABASE_ADMIN_URL``). Each of
``--tenants`` tenants is the demo's (tools/demo/scenario: local_git repository, scripted LLM,
approval always) with one task seeded and brought to ``awaiting-approval``. Then ``--clients``
clients send requests back to back for ``--seconds``, first all to ``/api/health`` (the
baseline), then a mix, each client on one tenant and one kind:

- reads (50 %): ``GET /api/tenants/{t}/tasks/{id}`` with a Viewer's bearer token;
- approval decisions (20 %): ``POST .../approval`` by the tenant's approver (the first approves
  the seeded task; the rest are answered 202 again or 409 ``already-decided``: the whole decide
  path, authentication included, either way);
- webhooks (30 %): signed ``issue_comment`` deliveries with an ``/agent`` command, each with its
  own delivery id, from a commenter without write access on an issue of its own (a task that
  ends at ``authorise``; while one runs on the issue the next is answered ``running``).
  Webhook rate quotas are lifted: the limiter is not what is measured.

Reported per kind and overall: requests/s, P50/P95/P99, status counts and the error rate
(5xx and transport errors; 4xx are answers the client caused), the SLO verdict, and the mix's
P95 and throughput against the health baseline's. Loopback only; every loop is bounded by its
deadline. Tenants are created with a fresh role prefix per run.

    python -m benchmarks.load [--seconds 60] [--clients 500] [--tenants 50]
    python -m benchmarks.load --seconds 5 --clients 40 --tenants 4   # a smoke run
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from benchmarks.webhook_intake import Run, _free_port, _wait_ready
from tools.demo.scenario import (
    APPROVER,
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
SLO_P95_S = 5.0
SLO_ERROR_RATE = 0.001
#: Share of clients per kind, in this order.
MIX = (("read", 0.5), ("approval", 0.2), ("webhook", 0.3))
OUTSIDER = "octo-visitor"  # comments, but may not push: its tasks end at ``authorise``

Request = tuple[str, str, bytes | None, dict[str, str]]


@dataclass
class Seeded:
    tenant: DemoTenant
    task_id: str
    token: str
    outsider_issue: int  # the issue the outsider's webhooks comment on


def _settings(base: str, data_dir: str) -> dict[str, str]:
    database_url = os.environ.get("DATABASE_URL", "")
    admin_url = os.environ.get("DATABASE_ADMIN_URL", "")
    if not database_url:
        from devhost.embedded_pg import DEFAULT_PG_DIR, embedded_logins

        logins = embedded_logins(REPO_ROOT / DEFAULT_PG_DIR)
        database_url, admin_url = logins.app_url, logins.admin_url
    return {
        "DATABASE_URL": database_url,
        "DATABASE_ADMIN_URL": admin_url,
        "DATA_DIR": data_dir,
        "TENANT_ROLE_PREFIX": f"ld{secrets.token_hex(3)}_",
        "DEV_OIDC_ENABLED": "true",
        "ENTRA_AUTHORITY": f"{base}/dev-oidc",
        "PUBLIC_BASE_URL": base,
        "LLM_RECORDINGS_DIR": str(RECORDINGS),
    }


def _http(base: str, method: str, path: str, body: bytes | None, headers: dict[str, str]) -> Any:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(base + path, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as reply:
            return reply.status, json.loads(reply.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, None


def _seed(base: str, app: Any, tenant: DemoTenant) -> Seeded:
    """Start the tenant's task and mint its approver's token (Approver and Viewer)."""
    body = encode(issue_comment(REPOSITORY, tenant.issue_number, COMMAND))
    path = f"/api/webhooks/github/{tenant.slug}"
    code, accepted = _http(base, "POST", path, body, signed_headers(body, tenant.webhook_secret))
    if code != 202:
        raise SystemExit(f"seeding {tenant.slug}: webhook answered {code}")
    claims = {"username": APPROVER, "audience": app.settings.entra_audience}
    code, token = _http(
        f"{base}/dev-oidc/{tenant.directory_id}/v2.0",
        "POST",
        "/token",
        encode({**claims, "roles": ["Approver", "Viewer"]}),
        {"Content-Type": "application/json"},
    )
    outsider_issue = file_issue(app, tenant.slug)
    return Seeded(tenant, accepted["id"], token["access_token"], outsider_issue)


def _await_approval(base: str, seeded: list[Seeded], timeout_s: float) -> int:
    """Wait (bounded) until the seeded tasks await approval; how many do."""
    deadline, waiting = time.monotonic() + timeout_s, 0
    while time.monotonic() < deadline:
        waiting = 0
        for seed in seeded:
            _, status = _http(
                base, "GET", f"/runtime/webhooks/durabletask/instances/{seed.task_id}", None, {}
            )
            waiting += ((status or {}).get("customStatus") or {}).get("step") == "awaiting-approval"
        if waiting == len(seeded):
            break
        time.sleep(1)
    return waiting


def mixed_requests(base: str, seeded: list[Seeded]) -> list[tuple[str, Callable[[int], Request]]]:
    """One (kind, request maker) per kind; makers number deliveries uniquely per call."""
    run_id = secrets.token_hex(3)

    def read(n: int) -> Request:
        seed = seeded[n % len(seeded)]
        url = f"{base}/api/tenants/{seed.tenant.slug}/tasks/{seed.task_id}"
        return "GET", url, None, {"Authorization": f"Bearer {seed.token}"}

    def approval(n: int) -> Request:
        seed = seeded[n % len(seeded)]
        url = f"{base}/api/tenants/{seed.tenant.slug}/tasks/{seed.task_id}/approval"
        headers = {"Authorization": f"Bearer {seed.token}", "Content-Type": "application/json"}
        return "POST", url, b'{"decision": "approve"}', headers

    def webhook(n: int) -> Request:
        seed = seeded[n % len(seeded)]
        tenant = seed.tenant
        body = encode(issue_comment(REPOSITORY, seed.outsider_issue, COMMAND, user=OUTSIDER))
        headers = signed_headers(body, tenant.webhook_secret)
        headers["X-GitHub-Delivery"] = f"load-{run_id}-{n}"
        return "POST", f"{base}/api/webhooks/github/{tenant.slug}", body, headers

    return [("read", read), ("approval", approval), ("webhook", webhook)]


async def _drive(
    clients: list[tuple[Run, Callable[[int], Request]]], seconds: float, timeout_s: float = 30
) -> None:
    """Every client sends back to back until the deadline; latencies and statuses per run."""
    numbers = iter(range(1, 10**9))
    connector = aiohttp.TCPConnector(limit=len(clients))
    timeout = aiohttp.ClientTimeout(total=timeout_s)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        deadline = time.monotonic() + seconds

        async def client(run: Run, make: Callable[[int], Request]) -> None:
            while time.monotonic() < deadline:
                method, url, body, headers = make(next(numbers))
                started = time.perf_counter()
                try:
                    async with session.request(method, url, data=body, headers=headers) as reply:
                        await reply.read()
                        run.statuses[reply.status] += 1
                except (aiohttp.ClientError, TimeoutError) as exc:
                    run.errors[type(exc).__name__] += 1
                run.latencies.append(time.perf_counter() - started)

        began = time.monotonic()
        await asyncio.gather(*(client(run, make) for run, make in clients))
        elapsed = time.monotonic() - began
        for run, _ in clients:
            run.seconds = elapsed


def error_rate(run: Run) -> float:
    failed = sum(n for status, n in run.statuses.items() if status >= 500) + sum(
        run.errors.values()
    )
    return failed / len(run.latencies) if run.latencies else 0.0


def merged(name: str, runs: list[Run]) -> Run:
    total = Run(name, seconds=max((r.seconds for r in runs), default=0.0))
    for run in runs:
        total.latencies += run.latencies
        total.statuses.update(run.statuses)
        total.errors.update(run.errors)
    return total


def assign(clients: int) -> list[str]:
    """The kind of each client, in the ``MIX`` shares (every kind gets at least one)."""
    counts = [max(1, round(clients * share)) for _, share in MIX]
    counts[0] += clients - sum(counts)
    return [kind for (kind, _), n in zip(MIX, counts, strict=True) for _ in range(n)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--tenants", type=int, default=50)
    parser.add_argument("--seed-timeout", type=float, default=300)
    args = parser.parse_args()

    from shared.bootstrap import Container
    from shared.config import load_settings

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as data_dir:
        settings = _settings(base, data_dir)
        app = Container(load_settings(REPO_ROOT, **{k.lower(): v for k, v in settings.items()}))
        app.tenants.migrate()
        scripted = [{"provider": "scripted", "model": "demo"}]
        tenants = [
            prepare_tenant(app, f"load{n}-{secrets.token_hex(2)}", llm_routes=scripted)
            for n in range(args.tenants)
        ]
        with app.db.connection() as conn:  # the limiter is not what is measured here
            conn.execute(
                "UPDATE platform.quotas SET webhook_rate_per_sec = 1e6, webhook_burst = 1e6"
            )
        command = [sys.executable, "-m", "devhost", "start", "--app", str(REPO_ROOT)]
        command += ["--port", str(port), "--store-schema", f"load_{secrets.token_hex(3)}"]
        child = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env={**os.environ, **settings},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait_ready(base, child)
            seeded = [_seed(base, app, tenant) for tenant in tenants]
            waiting = _await_approval(base, seeded, args.seed_timeout)
            health = Run("health")
            health_make: Callable[[int], Request] = lambda _n: (  # noqa: E731
                "GET", f"{base}/api/health", None, {}
            )  # fmt: skip
            asyncio.run(_drive([(health, health_make)] * args.clients, args.seconds))
            makers = dict(mixed_requests(base, seeded))
            runs = {kind: Run(kind) for kind, _ in MIX}
            clients = [(runs[kind], makers[kind]) for kind in assign(args.clients)]
            asyncio.run(_drive(clients, args.seconds))
        finally:
            child.terminate()
            try:
                child.wait(timeout=60)
            except subprocess.TimeoutExpired:  # a host stuck stopping must not lose the figures
                child.kill()
                child.wait(timeout=60)
        app.db.close()

    mix = merged("mix", list(runs.values()))
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    print(f"\n{args.clients} clients, {args.seconds:.0f} s per run, {args.tenants} tenants")
    print(f"cpus: {os.cpu_count()}, load average (1, 5, 15 min): {load}")
    print(f"seeded tasks awaiting approval at the start: {waiting}/{len(seeded)}")
    for run in (health, *runs.values(), mix):
        print(f"{run.line()}   error rate {error_rate(run):.3%}")
    p95 = mix.percentile(95) / 1000
    verdict = p95 < SLO_P95_S and error_rate(mix) < SLO_ERROR_RATE
    print(
        f"SLO (P95 < {SLO_P95_S:.0f} s, errors < {SLO_ERROR_RATE:.1%}): "
        f"P95 {p95:.3f} s, errors {error_rate(mix):.3%} -> {'met' if verdict else 'MISSED'}"
    )
    health_p95 = health.percentile(95)
    print(
        f"mix/health: P95 {mix.percentile(95) / health_p95 if health_p95 else 0:.1f}x, "
        f"throughput {mix.throughput / health.throughput if health.throughput else 0:.0%}"
    )


if __name__ == "__main__":
    main()
