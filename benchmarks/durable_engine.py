"""Benchmark: devhost's Durable engine against calling the same activity functions directly.

200 orchestrations (``--orchestrations``) each chain 5 activities on devhost, in process, on a
fresh database of the PostgreSQL at ``DATABASE_URL`` (else the embedded one under
``.devhost/bench-pg``), dropped at the end. Three measurements, one table:

- baseline: the activity function called directly, in a loop (its own cost);
- sequential: orchestrations one at a time (``--sequential``, default 20): per-activity time
  read from the stored history (start of the episode that scheduled the call to the start of
  the episode that received its result), minus the baseline = engine overhead per activity,
  and the CPU time this process spent per activity (wall times depend on machine load: the
  load average is printed with the table);
- concurrent: all orchestrations started together: completion time and throughput.

    python -m benchmarks.durable_engine [--orchestrations 200] [--sequential 20]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from azure.durable_functions import DurableOrchestrationClient
from psycopg import sql

from devhost.durable.events import EventType, parse_time
from devhost.loader import FunctionKind
from devhost.testing import RunningDevhost, started_devhost

REPO_ROOT = Path(__file__).resolve().parents[1]
APP_DIR = REPO_ROOT / "tests" / "fixtures" / "apps" / "bench_app"
STEPS = 5
SCHEMA = "bench_durable"
DEADLINE_S = 150.0


@contextmanager
def fresh_database() -> Iterator[str]:
    server = os.environ.get("DATABASE_URL")
    if not server:
        from devhost.embedded_pg import embedded_database_url

        server = embedded_database_url(REPO_ROOT / ".devhost" / "bench-pg")
    name = f"bench_{secrets.token_hex(4)}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    parts = psycopg.conninfo.conninfo_to_dict(server)
    parts["dbname"] = name
    try:
        yield psycopg.conninfo.make_conninfo(**parts)
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def baseline_ms(host: RunningDevhost, calls: int = 2000) -> float:
    """Median time of one direct call of the activity function."""
    assert host.host.app is not None
    activity = host.host.app.durable(FunctionKind.ACTIVITY, "work")
    assert activity is not None
    samples = []
    for value in range(calls):
        started = time.perf_counter()
        activity.user_function(value)
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


class Progress:
    """Counts completed instances over one connection (polling must not load the host)."""

    def __init__(self, database_url: str, schema: str = SCHEMA) -> None:
        self._conn = psycopg.connect(database_url, autocommit=True)
        query = sql.SQL("SELECT count(*) FROM {}.instances WHERE status = 'Completed'")
        self._query = query.format(sql.Identifier(schema))

    def completed(self) -> int:
        row = self._conn.execute(self._query).fetchone()
        return int(row[0]) if row else 0

    def wait_for(self, expected: int) -> None:
        deadline = time.monotonic() + DEADLINE_S
        while self.completed() < expected:
            if time.monotonic() > deadline:
                raise SystemExit(f"benchmark did not finish within {DEADLINE_S:.0f} s")
            time.sleep(0.005)

    def close(self) -> None:
        self._conn.close()


def activity_latencies_ms(events: list[dict[str, Any]]) -> list[float]:
    """Per activity: scheduling episode start -> start of the episode that got its result."""
    episode_start, scheduled, latencies = None, {}, []
    for event in events:
        kind = event["EventType"]
        if kind == EventType.ORCHESTRATOR_STARTED:
            episode_start = parse_time(event["Timestamp"])
        elif kind == EventType.TASK_SCHEDULED and episode_start is not None:
            scheduled[event["EventId"]] = episode_start
        elif kind == EventType.TASK_COMPLETED and episode_start is not None:
            began = scheduled[event["TaskScheduledId"]]
            latencies.append((episode_start - began).total_seconds() * 1000)
    return latencies


def run_sequential(
    host: RunningDevhost, client: DurableOrchestrationClient, count: int, progress: Progress
) -> tuple[list[float], list[float], float]:
    """Per-activity latencies, per-orchestration wall times, and CPU ms of this process."""
    latencies: list[float] = []
    walls: list[float] = []
    cpu_started = time.process_time()
    for index in range(count):
        started = time.perf_counter()
        instance_id = host.run(client.start_new("chain", f"seq-{index}", index))
        progress.wait_for(index + 1)
        walls.append((time.perf_counter() - started) * 1000)
        latencies += activity_latencies_ms(host.history(instance_id))
    return latencies, walls, (time.process_time() - cpu_started) * 1000


def run_concurrent(
    host: RunningDevhost,
    client: DurableOrchestrationClient,
    count: int,
    progress: Progress,
    done: int,
) -> tuple[float, list[float]]:
    started = time.perf_counter()

    async def start_all() -> list[str]:
        return list(
            await asyncio.gather(*(client.start_new("chain", f"par-{i}", i) for i in range(count)))
        )

    instance_ids = host.run(start_all())
    progress.wait_for(done + count)
    elapsed = time.perf_counter() - started
    latencies = [ms for i in instance_ids for ms in activity_latencies_ms(host.history(i))]
    return elapsed, latencies


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orchestrations", type=int, default=200)
    parser.add_argument("--sequential", type=int, default=20)
    args = parser.parse_args(argv)
    with fresh_database() as url, started_devhost(APP_DIR, url, schema=SCHEMA) as host:
        client = DurableOrchestrationClient(host.client_binding())
        progress = Progress(url)
        base = baseline_ms(host)
        seq_latencies, seq_walls, seq_cpu = run_sequential(host, client, args.sequential, progress)
        elapsed, par_latencies = run_concurrent(
            host, client, args.orchestrations, progress, args.sequential
        )
        progress.close()
    seq_median = statistics.median(seq_latencies)
    overhead = seq_median - base
    activities = args.orchestrations * STEPS
    rows = [
        ("activity called directly (median)", f"{base:.3f} ms", "1.0x"),
        ("sequential: per activity (median)", f"{seq_median:.2f} ms", f"{seq_median / base:.0f}x"),
        ("sequential: engine overhead / activity", f"{overhead:.2f} ms", "goal <= 15 ms"),
        (
            "sequential: CPU of this process / activity",
            f"{seq_cpu / (args.sequential * STEPS):.2f} ms",
            "host, SDK and driver; PostgreSQL not counted",
        ),
        (
            "sequential: orchestration of 5 (median)",
            f"{statistics.median(seq_walls):.1f} ms",
            f"{statistics.median(seq_walls) / (STEPS * base):.0f}x",
        ),
        (
            f"concurrent: {args.orchestrations} x {STEPS} completion",
            f"{elapsed:.2f} s",
            f"{elapsed * 1000 / (activities * base):.0f}x",
        ),
        ("concurrent: throughput", f"{activities / elapsed:.0f} activities/s", ""),
        (
            "concurrent: per activity (median, queued)",
            f"{statistics.median(par_latencies):.1f} ms",
            f"{statistics.median(par_latencies) / base:.0f}x",
        ),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"\n{'measurement':<{width}}  {'value':>22}  vs direct call")
    for name, value, ratio in rows:
        print(f"{name:<{width}}  {value:>22}  {ratio}")
    print(f"\ncpus: {os.cpu_count()}, load average: {os.getloadavg()[0]:.1f}")
    return 0 if overhead <= 15.0 else 1


if __name__ == "__main__":
    sys.exit(main())
