"""Benchmark: raising events through the Durable client on devhost, in process against HTTP.

What an approval decision does after it is recorded: the SDK's ``DurableOrchestrationClient``
raises an event on a waiting orchestration. ``--instances`` (default 200) ``waiter``
orchestrations of the devhost fixture app wait for ``go``; half of them get it from clients
whose binding points at the management API's second address (``/runtime/webhooks/durabletask/``,
which devhost does not answer in process: the HTTP round trip through the host's own front end,
the baseline), the other half from the binding devhost injects (answered in process,
``devhost.durable.local_client``), ``--concurrency`` raises at a time. Each raise wakes its
orchestration, so the workers run episodes and activities while the later raises are made.
Both halves run in this run, on a fresh database of the PostgreSQL at ``DATABASE_URL`` (else
the embedded one under ``.devhost/bench-pg``), dropped at the end.

    python -m benchmarks.durable_raises [--instances 200] [--concurrency 50]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable

from azure.durable_functions import DurableOrchestrationClient

from benchmarks.durable_engine import REPO_ROOT, Progress, fresh_database
from devhost.durable.client_binding import RPC_PATH, WEBHOOK_PATH
from devhost.testing import RunningDevhost, started_devhost

APP_DIR = REPO_ROOT / "tests" / "fixtures" / "apps" / "durable_app"
SCHEMA = "bench_raises"


def over_http(binding: str) -> str:
    """The binding with ``rpcBaseUrl`` at the management API's other address (same server)."""
    data = json.loads(binding)
    data["rpcBaseUrl"] = data["rpcBaseUrl"].replace(f"{RPC_PATH}/", f"{WEBHOOK_PATH}/")
    return json.dumps(data)


def raise_all(
    host: RunningDevhost, raise_one: Callable[[str], Awaitable[None]], ids: list[str], limit: int
) -> tuple[float, list[float]]:
    """Raise ``go`` on every instance, ``limit`` at a time: elapsed s, latencies in ms."""
    latencies: list[float] = []

    async def run() -> None:
        gate = asyncio.Semaphore(limit)

        async def one(instance_id: str) -> None:
            async with gate:
                started = time.perf_counter()
                await raise_one(instance_id)
                latencies.append((time.perf_counter() - started) * 1000)

        await asyncio.gather(*(one(i) for i in ids))

    started = time.perf_counter()
    host.run(run())
    return time.perf_counter() - started, latencies


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=50)
    args = parser.parse_args(argv)
    with fresh_database() as url, started_devhost(APP_DIR, url, schema=SCHEMA) as host:
        local = DurableOrchestrationClient(host.client_binding())
        http = DurableOrchestrationClient(over_http(host.client_binding()))

        async def start_all() -> list[str]:
            starts = (local.start_new("waiter", None, None) for _ in range(args.instances))
            return list(await asyncio.gather(*starts))

        ids = host.run(start_all())
        half = len(ids) // 2
        runs = {}
        for name, client, chosen in (("HTTP", http, ids[:half]), ("in process", local, ids[half:])):

            async def raise_one(
                instance_id: str, client: DurableOrchestrationClient = client
            ) -> None:
                await client.raise_event(instance_id, "go", "bench")

            runs[name] = raise_all(host, raise_one, chosen, args.concurrency)
        progress = Progress(url, SCHEMA)  # stop once every orchestration has finished
        progress.wait_for(args.instances)
        progress.close()
    base_elapsed, base = runs["HTTP"]
    print(f"\n{args.instances // 2} raises per client, {args.concurrency} at a time")
    print(f"{'raised':<12} {'raises/s':>9} {'p50 ms':>9} {'p95 ms':>9}  vs HTTP (p95, throughput)")
    for name, (elapsed, latencies) in runs.items():
        p95 = statistics.quantiles(latencies, n=20)[-1]
        base_p95 = statistics.quantiles(base, n=20)[-1]
        rate, base_rate = len(latencies) / elapsed, len(base) / base_elapsed
        print(
            f"{name:<12} {rate:>9.0f} {statistics.median(latencies):>9.1f} {p95:>9.1f}"
            f"  {p95 / base_p95:.2f}x, {rate / base_rate:.2f}x"
        )
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    print(f"cpus: {os.cpu_count()}, load average (1, 5, 15 min): {load}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
