"""Benchmark: webhook intake on devhost against ``GET /api/health`` at the same concurrency.

``C`` concurrent senders (default 200) each send requests back to back for ``S`` seconds (default
30), first to ``/api/health`` (the baseline), then to ``/api/bench/start`` (a function that only
calls ``start_new``: what the host's start path costs by itself), then distinct signed GitHub
``issue_comment`` deliveries with an ``/agent fix`` command (each on its own issue, so each
creates a task), once all to ONE tenant (a busy organisation: its deliveries share the tenant's
audit chain) and once spread over 50 tenants (``--tenants``). Reported per run: requests/s, ack
latency p50/p95/p99, status counts and the first episodes still pending at the end (the next run
waits for them); then a check that every webhook 202 has its stored delivery and its started
orchestration instance, exactly once. The load average is printed with the table.

devhost runs in a child process (so that the load generator does not share its interpreter),
serving the intake test app on a fresh database of the PostgreSQL at ``DATABASE_URL`` (else the
embedded one under ``.devhost/bench-pg``), dropped at the end.

    python -m benchmarks.webhook_intake [--seconds 30] [--concurrency 200] [--tenants 1,50]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import psycopg
from psycopg import sql

from shared.adapters.secrets.local import LocalSecretStore
from shared.adapters.store.postgres.database import Database
from shared.adapters.store.postgres.migrations import migrate_platform
from shared.adapters.store.postgres.roles import ensure_vector_extension
from shared.adapters.store.postgres.tenants import PostgresTenantDirectory
from shared.auth.webhooks import github_signature

REPO_ROOT = Path(__file__).resolve().parents[1]
APP_DIR = REPO_ROOT / "tests" / "fixtures" / "apps" / "intake_app"
FIXTURE = REPO_ROOT / "tests/fixtures/webhooks/github/issue_comment/created.payload.json"
SECRET = "bench-webhook-secret"
STORE_SCHEMA = "bench_durable"
_ISSUE = 987654321  # placeholder replaced by each delivery's own issue number


@dataclass
class Run:
    name: str
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    accepted: list[str] = field(default_factory=list)
    backlog: tuple[int, float] | None = None  # (first episodes pending at the end, s to drain)

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000 if ordered else 0

    def line(self) -> str:
        return (
            f"{self.name:<10} {self.throughput:>9.1f} req/s   p50 {self.percentile(50):>7.1f} ms"
            f"   p95 {self.percentile(95):>7.1f} ms   p99 {self.percentile(99):>7.1f} ms"
            f"   statuses {dict(sorted(self.statuses.items()))}"
            + (f"   errors {dict(self.errors)}" if self.errors else "")
        )


def _server_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    from devhost.embedded_pg import embedded_database_url

    return embedded_database_url(REPO_ROOT / ".devhost" / "bench-pg")


def _with_database(url: str, name: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _prepare(url: str, data_dir: Path, tenants: int, role_prefix: str) -> list[str]:
    database = Database(url, min_size=1, max_size=2)
    database.open()
    try:
        with database.transaction() as conn:
            migrate_platform(conn)
        with database.connection() as conn:  # the superuser, as devhost's first start does
            conn.autocommit = True
            ensure_vector_extension(conn, "template1")
        directory = PostgresTenantDirectory(database, role_prefix=role_prefix)
        store = LocalSecretStore(data_dir)
        slugs = []
        for n in range(tenants):
            slug = directory.provision(f"bench{n}-{secrets.token_hex(3)}", f"Bench {n}").slug
            store.set(slug, "webhook-github", SECRET)
            slugs.append(slug)
        with database.connection() as conn:  # the limit is not what is measured here
            conn.execute(
                "UPDATE platform.quotas SET webhook_rate_per_sec = 1e6, webhook_burst = 1e6"
            )
        return slugs
    finally:
        database.close()


def _template() -> tuple[bytes, bytes]:
    """The real payload with a command, split around the issue number."""
    payload = json.loads(FIXTURE.read_bytes())
    payload["comment"]["body"] = "/agent fix the spelling of 'commit' in the README"
    payload["issue"]["number"] = _ISSUE
    head, tail = json.dumps(payload).encode().split(str(_ISSUE).encode(), 1)
    return head, tail


Request = tuple[str, str, bytes | None, dict[str, str]]


def health_requests(base: str) -> Callable[[int], Request]:
    return lambda _n: ("GET", f"{base}/api/health", None, {})


def start_requests(base: str) -> Callable[[int], Request]:
    return lambda _n: ("POST", f"{base}/api/bench/start", b"{}", {})


def webhook_requests(base: str, tenants: list[str], run: int) -> Callable[[int], Request]:
    """Distinct signed deliveries, each an ``/agent fix`` on its own issue (ids unique per
    ``run``)."""
    head, tail = _template()

    def make(n: int) -> Request:
        body = head + str(run * 10**7 + n).encode() + tail
        headers = {
            "Content-Type": "application/json",
            "X-GitHub-Event": "issue_comment",
            "X-GitHub-Delivery": f"bench-{run}-{n}",
            "X-Hub-Signature-256": github_signature(SECRET, body),
        }
        return "POST", f"{base}/api/webhooks/github/{tenants[n % len(tenants)]}", body, headers

    return make


async def _load(run: Run, make: Callable[[int], Request], concurrency: int, seconds: float) -> None:
    counter = iter(range(1, 10**9))
    connector = aiohttp.TCPConnector(limit=concurrency)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        deadline = time.monotonic() + seconds

        async def sender() -> None:
            while time.monotonic() < deadline:
                method, url, body, headers = make(next(counter))
                started = time.perf_counter()
                try:
                    async with session.request(method, url, data=body, headers=headers) as reply:
                        answer = await reply.read()
                        status = reply.status
                except (aiohttp.ClientError, TimeoutError) as exc:
                    run.errors[type(exc).__name__] += 1
                    continue
                run.latencies.append(time.perf_counter() - started)
                run.statuses[status] += 1
                if status == 202:
                    run.accepted.append(json.loads(answer)["id"])

        began = time.monotonic()
        await asyncio.gather(*(sender() for _ in range(concurrency)))
        run.seconds = time.monotonic() - began


def _check(url: str, tenants: list[str], roles: str, accepted: list[str]) -> tuple[int, int]:
    """(accepted with a stored delivery, accepted with a started instance)."""
    database = Database(url, min_size=0, max_size=1)
    database.open()
    directory = PostgresTenantDirectory(database, role_prefix=roles)
    stored = 0
    try:
        for slug in tenants:  # each tenant's deliveries are in its own database
            with database.tenant_transaction(directory.locate(slug)) as tx:
                row = tx.conn.execute(
                    "SELECT count(DISTINCT task_id) AS n FROM webhook_deliveries"
                    " WHERE task_id = ANY(%s) AND outcome = 'task-created'",
                    (accepted,),
                ).fetchone()
                stored += int(str(row["n"])) if row else 0
    finally:
        database.close()
    with psycopg.connect(url) as conn:
        started = conn.execute(
            sql.SQL("SELECT count(*) FROM {}.instances WHERE instance_id = ANY(%s)").format(
                sql.Identifier(STORE_SCHEMA)
            ),
            (accepted,),
        ).fetchone()
    return stored, int(started[0] if started else 0)


def _drain(url: str, timeout_s: float = 300.0) -> tuple[int, float]:
    """(instances still waiting for their first episode, seconds until none is)."""
    query = sql.SQL("SELECT count(*) FROM {}.instances WHERE status = 'Pending'")
    counts: list[int] = []
    began = time.monotonic()
    with psycopg.connect(url, autocommit=True) as conn:
        while not counts or (counts[-1] and time.monotonic() - began < timeout_s):
            time.sleep(0.1 if counts else 0)
            row = conn.execute(query.format(sql.Identifier(STORE_SCHEMA))).fetchone()
            counts.append(int(row[0]) if row else 0)
    return counts[0], time.monotonic() - began


def _wait_ready(base: str, child: subprocess.Popen[bytes]) -> None:
    import urllib.request

    for _ in range(600):
        if child.poll() is not None:
            raise SystemExit(f"devhost exited with {child.returncode}")
        try:
            with urllib.request.urlopen(f"{base}/api/health", timeout=2) as reply:
                if reply.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("devhost did not become ready")


def serve(database_url: str, data_dir: str, port: int, role_prefix: str) -> None:
    """Child process: devhost on ``port`` until SIGTERM."""
    from devhost.testing import started_devhost

    settings = {"DATA_DIR": data_dir, "TENANT_ROLE_PREFIX": role_prefix}
    stop = asyncio.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with started_devhost(APP_DIR, database_url, schema=STORE_SCHEMA, settings=settings, port=port):
        while not stop.is_set():
            time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument(
        "--tenants", default="1,50", help="tenant counts of the webhook runs (comma-separated)"
    )
    parser.add_argument("--serve", nargs=4, metavar=("URL", "DATA_DIR", "PORT", "ROLES"))
    args = parser.parse_args()
    if args.serve:
        url, data_dir, port, roles = args.serve
        serve(url, data_dir, int(port), roles)
        return

    server = _server_url()
    name, roles = f"bench_{secrets.token_hex(4)}", f"rb{secrets.token_hex(3)}_"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = _with_database(server, name)
    counts = [int(n) for n in args.tenants.split(",")]
    with tempfile.TemporaryDirectory() as data_dir:
        tenants = _prepare(url, Path(data_dir), max(counts), roles)
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        command = [sys.executable, "-m", "benchmarks.webhook_intake", "--serve"]
        child = subprocess.Popen([*command, url, data_dir, str(port), roles], cwd=REPO_ROOT)
        try:
            _wait_ready(base, child)
            health, start = Run("health"), Run("start-only")
            webhooks = [Run(f"webhook/{n}t") for n in counts]
            c, s = args.concurrency, args.seconds
            asyncio.run(_load(health, health_requests(base), c, s))
            asyncio.run(_load(start, start_requests(base), c, s))
            start.backlog = _drain(url)
            for index, (count, webhook) in enumerate(zip(counts, webhooks, strict=True)):
                requests = webhook_requests(base, tenants[:count], index)
                asyncio.run(_load(webhook, requests, c, s))
                webhook.backlog = _drain(url)
        finally:
            child.send_signal(signal.SIGTERM)
            child.wait(timeout=60)
        checks = [
            _check(url, tenants[:count], roles, webhook.accepted)
            for count, webhook in zip(counts, webhooks, strict=True)
        ]
    _drop(server, name, roles)

    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    print(f"\n{args.concurrency} senders, {args.seconds:.0f} s per run, tenants {counts}")
    print(f"cpus: {os.cpu_count()}, load average (1, 5, 15 min): {load}")
    for run in (health, start, *webhooks):
        print(run.line())
        if run.backlog:
            pending, late = run.backlog
            print(f"{'':<11}first episodes pending at the end: {pending}, done {late:.1f} s later")
    lost = False
    for webhook, (stored, started) in zip(webhooks, checks, strict=True):
        print(
            f"{webhook.name}: /health {_ratio(webhook, health):.0%} (goal >= 40%),"
            f" /start-only {_ratio(webhook, start):.0%};"
            f" 202s {len(webhook.accepted)}, stored {stored}, started {started}"
        )
        lost |= not (stored == started == len(set(webhook.accepted)) == len(webhook.accepted))
    if lost:
        raise SystemExit("some accepted deliveries were lost, duplicated or not started")


def _ratio(a: Run, b: Run) -> float:
    return a.throughput / b.throughput if b.throughput else 0.0


def _drop(server: str, name: str, roles: str) -> None:
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,)
        )
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        for (tenant_db,) in conn.execute(  # the tenants' own databases carry the role prefix
            "SELECT datname FROM pg_database WHERE datname LIKE %s", (roles + "%",)
        ).fetchall():
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(tenant_db)))
        for (role,) in conn.execute(
            "SELECT rolname FROM pg_roles WHERE rolname LIKE %s", (roles + "%",)
        ).fetchall():
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


if __name__ == "__main__":
    main()
