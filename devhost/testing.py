"""Running devhost inside a test process.

Everything runs on ONE long-lived event loop in a daemon thread, started on first use and never
closed: the Durable SDK binds a module-global aiohttp session (and lock) to the first loop that
uses it, so a second loop in the same process would break every client call. Tests stay
synchronous and call ``handle.run(coroutine)`` to await SDK calls on that loop.

``started_devhost`` yields a ``RunningDevhost`` handle; ``running_devhost`` yields just its base
URL. Both put the app settings into ``os.environ`` for the duration (as the Functions host does
for its worker) and restore what they changed on exit.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import threading
from collections.abc import Coroutine, Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, TypeVar

from devhost.server import Devhost, DevhostOptions, close_sdk_session

T = TypeVar("T")


class _HostLoop:
    """Holder of the one loop (created on first use)."""

    lock = threading.Lock()
    loop: asyncio.AbstractEventLoop | None = None


def host_loop() -> asyncio.AbstractEventLoop:
    """The process-wide host loop (a daemon thread runs it forever)."""
    with _HostLoop.lock:
        if _HostLoop.loop is None:
            loop = asyncio.new_event_loop()
            thread = threading.Thread(target=loop.run_forever, name="devhost-loop", daemon=True)
            thread.start()
            _HostLoop.loop = loop
            atexit.register(_close_sdk_session)
        return _HostLoop.loop


def _close_sdk_session() -> None:
    """Close the SDK's shared aiohttp session before the interpreter goes away."""
    with suppress(Exception):
        run_on_host_loop(close_sdk_session(), timeout=5)


def run_on_host_loop(coroutine: Coroutine[Any, Any, T], timeout: float | None = 120.0) -> T:
    """Run ``coroutine`` on the host loop and wait for its result."""
    return asyncio.run_coroutine_threadsafe(coroutine, host_loop()).result(timeout)


class RunningDevhost:
    """A started devhost: its URLs, binding JSON, and a way to await SDK calls on its loop."""

    def __init__(self, host: Devhost) -> None:
        self.host = host

    @property
    def base_url(self) -> str:
        return self.host.base_url

    @property
    def port(self) -> int:
        return self.host.port

    def client_binding(self) -> str:
        """The ``durableClient`` binding JSON devhost injects into client functions."""
        return self.host.client_binding()

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float | None = 120.0) -> T:
        return run_on_host_loop(coroutine, timeout)

    def history(self, instance_id: str) -> list[dict[str, Any]]:
        """The stored history of the instance's current execution (raw DTFx events)."""
        return self.run(self.host.store.get_history(instance_id))


@contextmanager
def _environment(settings: Mapping[str, str]) -> Iterator[dict[str, str | None]]:
    saved: dict[str, str | None] = {}
    for name, value in settings.items():
        saved[name] = os.environ.get(name)
        os.environ[name] = value
    try:
        yield saved
    finally:
        for name, old in saved.items():
            if old is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = old


@contextmanager
def started_devhost(
    app_dir: Path,
    database_url: str,
    *,
    schema: str = "durable",
    settings: Mapping[str, str] | None = None,
    port: int = 0,
) -> Iterator[RunningDevhost]:
    """Start devhost for ``app_dir`` on a free port, its store in ``schema`` of ``database_url``.

    ``settings`` are extra app settings (they win over ``local.settings.json``); the app's
    ``DATABASE_URL`` defaults to ``database_url``.
    """
    app_settings = {"DATABASE_URL": database_url, **(settings or {})}
    options = DevhostOptions(
        app_dir=app_dir,
        port=port,
        database_url=database_url,
        store_schema=schema,
        announce=lambda _text: None,
    )
    with _environment(app_settings):
        host = Devhost(options)
        try:
            run_on_host_loop(host.start())
            yield RunningDevhost(host)
        finally:
            run_on_host_loop(host.stop())
            for name in host.applied_settings:
                os.environ.pop(name, None)


@contextmanager
def running_devhost(
    app_dir: Path,
    database_url: str,
    *,
    schema: str = "durable",
    settings: Mapping[str, str] | None = None,
) -> Iterator[str]:
    """Like ``started_devhost`` but yields only the base URL (``http://127.0.0.1:PORT``)."""
    with started_devhost(app_dir, database_url, schema=schema, settings=settings) as running:
        yield running.base_url
