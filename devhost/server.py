"""One running devhost: the app, its HTTP front end and the Durable engine, on one event loop.

Start-up order mirrors the Functions host: app settings first (``local.settings.json`` into the
environment; ``DATABASE_URL`` defaults to the embedded PostgreSQL and is given to the app too),
then the app is imported and indexed, the durable store is created or joined, the HTTP port opens
(management API under ``/runtime/webhooks/durabletask/`` and ``/durabletask/``, the development
OIDC issuer when ``DEV_OIDC_ENABLED`` is true, every HTTP function), workers and timer triggers
start, and the served routes are printed.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import os
import socket
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

from devhost.app_config import HostConfig, apply_local_settings
from devhost.durable import local_client
from devhost.durable.activities import ActivityRunner
from devhost.durable.backlog import sample_forever
from devhost.durable.client_binding import (
    RPC_PATH,
    WEBHOOK_PATH,
    client_binding_json,
    rpc_base_url,
)
from devhost.durable.deciders import Decider
from devhost.durable.dispatch import DEFAULT_LEASE_S
from devhost.durable.engine import EpisodeEngine
from devhost.durable.entities import EntityRunner
from devhost.durable.management_api import ManagementApi
from devhost.durable.store import DurableStore
from devhost.durable.worker import Concurrency, Waker, Workers
from devhost.http_front import HttpFront, full_route
from devhost.invoker import Invoker
from devhost.loader import FunctionKind, LoadedApp, load_app
from devhost.telemetry import configure_app_telemetry, shutdown_app_telemetry
from devhost.timers import TimerTriggers

log = logging.getLogger("devhost")
ADMIN_FUNCTIONS = "/admin/functions/"
_TRUE = ("1", "true", "yes")


@dataclass(frozen=True)
class DevhostOptions:
    """How to run: the app folder, where to listen, which store to use, how many workers.

    Worker counts left as ``None`` come from ``host.json`` (``maxConcurrent...Functions``).
    ``replay_processes`` child processes replay large batches of orchestration episodes (0: all
    in threads of this process; see ``durable.deciders``). ``activity_lease_s``: how long a
    running activity's claim lasts without renewal (a killed host's calls re-run after it).
    """

    app_dir: Path
    port: int = 7071
    host: str = "127.0.0.1"
    database_url: str | None = None
    store_schema: str = "durable"
    orchestration_workers: int | None = None
    activity_workers: int | None = None
    entity_workers: int | None = None
    activity_lease_s: float = DEFAULT_LEASE_S
    replay_processes: int = 1
    thread_pool_size: int = 32
    #: Configure the app's telemetry at start and shut it down at stop (the CLI does; hosts
    #: inside a test process leave the process-global providers to the app).
    telemetry: bool = False
    announce: Callable[[str], None] = field(default=print)


def resolve_database_url(options: DevhostOptions) -> str:
    """The store's URL: the option, else ``DATABASE_URL``, else the embedded server.

    When the app has no ``DATABASE_URL`` the chosen URL becomes its ``DATABASE_URL`` too; on the
    embedded server that is the app's own login, and ``DATABASE_ADMIN_URL`` the provisioner's.
    """
    url = options.database_url or os.environ.get("DATABASE_URL")
    if not url:
        from devhost.embedded_pg import DEFAULT_PG_DIR, embedded_logins

        logins = embedded_logins(options.app_dir / DEFAULT_PG_DIR)
        url = logins.app_url
        os.environ.setdefault("DATABASE_ADMIN_URL", logins.admin_url)
    os.environ.setdefault("DATABASE_URL", url)
    return url


async def close_sdk_session() -> None:
    """Close the Durable SDK's module-global aiohttp session (bound to the host loop)."""
    from azure.durable_functions.models.utils import http_utils

    await http_utils._close_session()


def _shown_host(host: str) -> str:
    """The host to put in URLs: ``localhost`` for a wildcard address."""
    try:
        wildcard = ipaddress.ip_address(host).is_unspecified
    except ValueError:
        wildcard = not host
    return "localhost" if wildcard else host


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


class Devhost:
    """The host for one app. ``start``/``stop`` run on the host's long-lived loop."""

    def __init__(self, options: DevhostOptions) -> None:
        self.options = options
        self.app: LoadedApp | None = None
        self.config = HostConfig()
        self.port = options.port
        self.applied_settings: dict[str, str] = {}
        self._executor = ThreadPoolExecutor(options.thread_pool_size, "devhost-sync")
        self._runner: web.AppRunner | None = None
        self._store: DurableStore | None = None
        self._workers: Workers | None = None
        self._backlog: asyncio.Task[None] | None = None
        self._decider: Decider | None = None
        self._timers: TimerTriggers | None = None

    @property
    def base_url(self) -> str:
        return f"http://{_shown_host(self.options.host)}:{self.port}"

    def client_binding(self) -> str:
        return client_binding_json(self.port, self.config.hub_name)

    @property
    def store(self) -> DurableStore:
        if self._store is None:
            raise RuntimeError("devhost is not running")
        return self._store

    def _concurrency(self) -> Concurrency:
        o, c = self.options, self.config
        return Concurrency(
            orchestrations=o.orchestration_workers or c.max_concurrent_orchestrations,
            activities=o.activity_workers or c.max_concurrent_activities,
            entities=o.entity_workers or c.max_concurrent_entities,
        )

    async def start(self) -> None:
        app_dir = self.options.app_dir.resolve()
        self.applied_settings = apply_local_settings(app_dir, os.environ)
        database_url = resolve_database_url(self.options)
        if self.options.telemetry:
            log.info("telemetry: %s", configure_app_telemetry())
        self.app = load_app(app_dir)
        self.config = HostConfig.load(app_dir)
        sock = _bind(self.options.host, self.options.port)
        try:
            await self._serve(app_dir, database_url, sock)
        except BaseException:
            sock.close()
            raise
        self._announce()

    async def _serve(self, app_dir: Path, database_url: str, sock: socket.socket) -> None:
        assert self.app is not None
        self.port = int(sock.getsockname()[1])
        concurrency = self._concurrency()
        pool_size = concurrency.orchestrations + concurrency.activities + concurrency.entities + 6
        waker = Waker()
        self._store = DurableStore(
            database_url,
            self.options.store_schema,
            max_connections=pool_size,
            on_commit=waker.wake,
        )
        await self._store.open()
        invoker = Invoker(self._executor, str(app_dir))
        engine = EpisodeEngine(self.app)
        activities = ActivityRunner(self.app, invoker, self.client_binding, engine.check_function)
        processes = self.options.replay_processes
        self._decider = Decider(engine, invoker, app_dir, processes)
        self._workers = Workers(
            self._store,
            decider=self._decider,
            activities=activities,
            entities=EntityRunner(self.app, invoker),
            concurrency=concurrency,
            waker=waker,
            activity_lease_s=self.options.activity_lease_s,
        )
        management = ManagementApi(self._store, self.config.hub_name, engine.check_function)
        local_client.register(rpc_base_url(self.port), management.deliver)
        front = HttpFront(self.app, self.config.route_prefix, invoker, self.client_binding)

        async def dispatch(request: web.Request) -> web.StreamResponse:
            if request.path.startswith(ADMIN_FUNCTIONS) and request.method == "POST":
                return self._run_function(request.path[len(ADMIN_FUNCTIONS) :])
            for prefix in (WEBHOOK_PATH + "/", RPC_PATH + "/"):
                if request.path.startswith(prefix) or request.path == prefix.rstrip("/"):
                    return await management.handle(request, request.path[len(prefix) :])
            return await front.handle(request)

        web_app = web.Application(client_max_size=100 * 1024 * 1024)
        self._mount_dev_oidc(web_app, app_dir)
        web_app.router.add_route("*", "/{tail:.*}", dispatch)
        self._runner = web.AppRunner(web_app, access_log=None)
        await self._runner.setup()
        await web.SockSite(self._runner, sock).start()
        self._workers.start()
        claim = self._store.claim_timer
        self._timers = TimerTriggers(self.app, invoker, self.client_binding, claim)
        self._timers.start()
        if self.options.telemetry:
            self._backlog = asyncio.create_task(sample_forever(self._store))

    def _run_function(self, name: str) -> web.Response:
        """``POST /admin/functions/{name}``: run a timer function now (202), else 404."""
        if self._timers is None or self._timers.run_now(name) is None:
            return web.Response(status=404, text=f"No timer function {name!r}")
        return web.Response(status=202)

    def _mount_dev_oidc(self, web_app: web.Application, app_dir: Path) -> None:
        if os.environ.get("DEV_OIDC_ENABLED", "").strip().lower() not in _TRUE:
            return
        from devhost import dev_oidc

        data_dir = app_dir / os.environ.get("DATA_DIR", ".devhost")
        issuer = dev_oidc.DevIssuer(data_dir, self.base_url)
        # The console's sign-in popup returns to its redirect page (console/src/redirect.html).
        console = full_route(self.config.route_prefix, "console") + "/redirect.html"
        client_id = os.environ.get("ENTRA_CONSOLE_CLIENT_ID") or dev_oidc.CONSOLE_CLIENT_ID
        for host in {_shown_host(self.options.host), "127.0.0.1", "localhost"}:
            issuer.register_client(client_id, f"http://{host}:{self.port}{console}")
        dev_oidc.add_routes(web_app, issuer)

    def _announce(self) -> None:
        assert self.app is not None
        lines = ["", "Functions:", ""]
        for function in self.app.functions:
            if function.kind is FunctionKind.HTTP:
                methods = ",".join(function.methods or ("ALL",))
                url = self.base_url + full_route(self.config.route_prefix, function.route or "")
                lines.append(f"\t{function.name}: [{methods}] {url}")
            elif function.kind is FunctionKind.UNSUPPORTED:
                lines.append(f"\t{function.name}: not served ({function.unsupported_reason})")
            else:
                lines.append(f"\t{function.name}: {function.kind.value}Trigger")
        lines += ["", f"Durable management API: {self.base_url}{WEBHOOK_PATH}/"]
        lines.append(f"devhost listening on {self.base_url}")
        self.options.announce("\n".join(lines))

    async def stop(self) -> None:
        local_client.unregister(rpc_base_url(self.port))
        if self._timers is not None:
            await self._timers.stop()
            self._timers = None
        if self._backlog is not None:
            self._backlog.cancel()
            self._backlog = None
        if self._workers is not None:
            await self._workers.stop()
            self._workers = None
        if self._decider is not None:
            await self._decider.close()
            self._decider = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._store is not None:
            await self._store.close()
            self._store = None
        self._executor.shutdown(wait=False, cancel_futures=True)
        if self.options.telemetry:
            shutdown_app_telemetry()
