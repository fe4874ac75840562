"""The ``python -m devhost`` command line.

``start`` runs the host in the foreground (like ``func start``): ``--app`` defaults to the
current directory and ``--port`` to 7071; the store is ``--database-url`` or ``DATABASE_URL`` or
the embedded PostgreSQL, in schema ``--store-schema`` (default ``durable``). SIGINT/SIGTERM stop
it cleanly; SIGKILL is safe too (the store is transactional). ``instances list|show|raise|
terminate|purge`` operate a running devhost over its management API (``--url``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import signal
import sys
from pathlib import Path
from typing import TextIO

from devhost import ops
from devhost.app_config import AppConfigError
from devhost.durable.dispatch import DEFAULT_LEASE_S
from devhost.loader import AppLoadError
from devhost.server import Devhost, DevhostOptions, close_sdk_session

DEFAULT_URL = "http://localhost:7071"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m devhost", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    start = commands.add_parser("start", help="run the app (HTTP functions and Durable engine)")
    start.add_argument("--app", type=Path, default=Path.cwd(), help="app folder (default: .)")
    start.add_argument("--port", type=int, default=7071)
    start.add_argument("--host", default="127.0.0.1", help="address to listen on")
    start.add_argument("--database-url", help="store database (default: DATABASE_URL/embedded)")
    start.add_argument("--store-schema", default="durable", help="schema of the durable store")
    start.add_argument("--orchestration-workers", type=int)
    start.add_argument("--activity-workers", type=int)
    start.add_argument("--entity-workers", type=int)
    start.add_argument(
        "--activity-lease-seconds",
        type=float,
        default=DEFAULT_LEASE_S,
        help="how long a running activity's claim lasts unless renewed (a dead host's expires)",
    )
    start.add_argument(
        "--replay-processes", type=int, default=1, help="child processes replaying orchestrations"
    )
    start.add_argument("--log-level", default="INFO")

    instances = commands.add_parser("instances", help="list and operate orchestration instances")
    instances.add_argument("--url", default=DEFAULT_URL, help=f"devhost URL ({DEFAULT_URL})")
    actions = instances.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="list instances, oldest first")
    listing.add_argument("--status", action="append", default=[], help="filter (repeatable)")
    listing.add_argument("--prefix", help="instance id prefix")
    listing.add_argument("--top", type=int, default=100)
    show = actions.add_parser("show", help="status, input, output and history of one instance")
    show.add_argument("instance_id")
    show.add_argument("--no-history", action="store_true")
    raise_ = actions.add_parser("raise", help="raise an external event")
    raise_.add_argument("instance_id")
    raise_.add_argument("event")
    raise_.add_argument("--data", default="null", help="event data as JSON (default: null)")
    terminate = actions.add_parser("terminate", help="terminate a running instance")
    terminate.add_argument("instance_id")
    terminate.add_argument("--reason", default="terminated from the devhost CLI")
    purge = actions.add_parser("purge", help="delete a finished instance and its history")
    purge.add_argument("instance_id")
    return parser


async def _serve(options: DevhostOptions) -> None:
    host = Devhost(options)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    try:
        await host.start()
        await stopping.wait()
    finally:
        await host.stop()
        await close_sdk_session()


def _start(args: argparse.Namespace) -> int:
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    options = DevhostOptions(
        app_dir=args.app,
        port=args.port,
        host=args.host,
        database_url=args.database_url,
        store_schema=args.store_schema,
        orchestration_workers=args.orchestration_workers,
        activity_workers=args.activity_workers,
        entity_workers=args.entity_workers,
        activity_lease_s=args.activity_lease_seconds,
        replay_processes=args.replay_processes,
        telemetry=True,
        announce=lambda text: print(text, flush=True),
    )
    try:
        asyncio.run(_serve(options))
    except (AppLoadError, AppConfigError, ValueError, OSError) as exc:
        print(f"devhost: {exc}", file=sys.stderr)
        return 1
    return 0


def _instances(args: argparse.Namespace, out: TextIO) -> int:
    client = ops.ManagementClient(args.url)
    if args.action == "list":
        ops.list_instances(client, out, args.status, args.prefix, args.top)
    elif args.action == "show":
        ops.show_instance(client, out, args.instance_id, not args.no_history)
    elif args.action == "raise":
        ops.raise_event(client, args.instance_id, args.event, json.loads(args.data))
        out.write(f"raised '{args.event}' on {args.instance_id}\n")
    elif args.action == "terminate":
        ops.terminate(client, args.instance_id, args.reason)
        out.write(f"terminating {args.instance_id}\n")
    else:
        deleted = ops.purge(client, args.instance_id)
        out.write(f"purged {deleted} instance(s)\n")
    return 0


def main(argv: list[str] | None = None, out: TextIO | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "start":
        return _start(args)
    stream = out if out is not None else sys.stdout
    try:
        return _instances(args, stream)
    except (ops.OpsError, json.JSONDecodeError) as exc:
        with contextlib.suppress(Exception):
            sys.stderr.write(f"devhost: {exc}\n")
        return 1
