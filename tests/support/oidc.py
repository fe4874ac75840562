"""devhost's development OIDC issuer served over real HTTP on a free port, for token tests."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from aiohttp import web

from devhost.dev_oidc import DevIssuer, add_routes


@contextmanager
def serving_dev_issuer(data_dir: Path) -> Iterator[DevIssuer]:
    """A ``DevIssuer`` whose discovery and JWKS answer at ``issuer.authority``."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    issuer = DevIssuer(data_dir, f"http://127.0.0.1:{port}")

    async def start() -> web.AppRunner:
        app = web.Application()
        add_routes(app, issuer)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        return runner

    runner = asyncio.run_coroutine_threadsafe(start(), loop).result(10)
    try:
        yield issuer
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()
