"""Deciding batches of orchestration episodes: in a thread, or in a child process under load.

Replaying orchestrators through the SDK is CPU work that competes with the HTTP front (and so
with every start) for this process's interpreter lock. A batch of at least ``PROCESS_BATCH``
episodes is therefore decided by a replay process that imports and indexes the app itself
(``processes`` of them, started on first need; until one is ready, batches are decided here).
Smaller batches are decided in a worker thread as before. Deciding is pure apart from running
the orchestrators, which must be deterministic and free of I/O anyway, so where it runs changes
nothing else: the claim, the reads and the commit stay in this process's transaction. A replay
process that cannot start or dies is logged and not used again; it exits when its host closes
the pipe, or dies.

The replay process is ``python -m devhost.durable.deciders APP_DIR LOG_LEVEL``. Protocol:
length-prefixed pickles over its stdin and a private copy of its stdout (what the app prints
goes to stderr): first ``"ready"``, then for each request ``(works, now)`` the list of outcomes
(or, for a decision that raised, its traceback text).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import pickle
import struct
import sys
import traceback
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from devhost.durable.engine import EpisodeEngine
from devhost.durable.episodes import Decided
from devhost.durable.model import EpisodeOutcome, EpisodeWork
from devhost.invoker import Invoker
from devhost.loader import load_app

log = logging.getLogger("devhost.durable")

PROCESS_BATCH = 8
_SIZE = struct.Struct("!I")
Result = EpisodeOutcome | str  # an outcome, or the traceback of a decision that raised


def decide_all(engine: EpisodeEngine, works: list[EpisodeWork], now: datetime) -> list[Result]:
    results: list[Result] = []
    for work in works:
        try:
            results.append(engine.decide(work, now))
        except Exception:
            results.append(traceback.format_exc())
    return results


class _Replayer:
    """One replay process; requests are answered in order, one at a time."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.lock = asyncio.Lock()
        self.waiting = 0

    async def receive(self) -> Any:
        assert self.process.stdout is not None
        (size,) = _SIZE.unpack(await self.process.stdout.readexactly(_SIZE.size))
        # pickles only travel between a host and the child it started, over private pipes
        return pickle.loads(await self.process.stdout.readexactly(size))  # noqa: S301

    async def call(self, request: Any) -> Any:
        assert self.process.stdin is not None
        self.waiting += 1
        try:
            async with self.lock:
                data = pickle.dumps(request, pickle.HIGHEST_PROTOCOL)
                self.process.stdin.write(_SIZE.pack(len(data)) + data)
                try:
                    await self.process.stdin.drain()
                    return await self.receive()
                except asyncio.CancelledError:  # the answer would be read by the next caller
                    self.process.kill()
                    raise
        finally:
            self.waiting -= 1


class Decider:
    """Decides claimed episodes for the orchestration workers of one devhost."""

    def __init__(
        self, engine: EpisodeEngine, invoker: Invoker, app_dir: Path, processes: int
    ) -> None:
        """``processes`` 0: always decide in threads."""
        self._engine = engine
        self._invoker = invoker
        self._app_dir = app_dir
        self._processes = processes
        self._ready: list[_Replayer] = []
        self._starting: list[asyncio.Task[None]] = []

    async def decide(self, works: list[EpisodeWork], now: datetime) -> tuple[Decided, list[str]]:
        """The outcomes, and the tracebacks of the decisions that raised."""
        replayer = self._replayer() if len(works) >= PROCESS_BATCH else None
        results = None
        if replayer is not None:
            try:
                results = await replayer.call((works, now))
            except (OSError, EOFError, asyncio.IncompleteReadError) as exc:
                log.warning("a replay process failed (%r); it is not used again", exc)
                if replayer in self._ready:
                    self._ready.remove(replayer)
                with contextlib.suppress(ProcessLookupError):
                    replayer.process.kill()
        if results is None:
            results = await self._invoker.run_sync(decide_all, self._engine, works, now)
        decided = [(w, r) for w, r in zip(works, results, strict=True) if not isinstance(r, str)]
        return decided, [r for r in results if isinstance(r, str)]

    def _replayer(self) -> _Replayer | None:
        """The least busy ready replay process (the first call starts them)."""
        if self._processes and not self._starting:
            self._starting = [asyncio.create_task(self._start()) for _ in range(self._processes)]
        return min(self._ready, key=lambda r: r.waiting, default=None)

    async def _start(self) -> None:
        path = [os.path.abspath(p or os.curdir) for p in sys.path]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(path)}
        level = str(logging.getLogger().getEffectiveLevel())  # the app's logs as in this process
        command = ("-m", "devhost.durable.deciders", str(self._app_dir), level)
        pipe = asyncio.subprocess.PIPE
        try:
            process = await asyncio.create_subprocess_exec(
                sys.executable, *command, stdin=pipe, stdout=pipe, env=env
            )
        except OSError as exc:
            log.warning("no replay process (%s): orchestrations are replayed here", exc)
            return
        replayer = _Replayer(process)
        try:
            if await replayer.receive() == "ready":
                self._ready.append(replayer)
                return
        except (EOFError, asyncio.IncompleteReadError):
            pass
        log.warning("a replay process did not start: orchestrations are replayed here")
        process.kill()
        await process.wait()

    async def close(self) -> None:
        for task in self._starting:
            task.cancel()
        for replayer in self._ready:
            assert replayer.process.stdin is not None
            replayer.process.stdin.close()
            try:
                await asyncio.wait_for(replayer.process.wait(), 5)
            except TimeoutError:
                replayer.process.kill()
        self._ready.clear()


def _send(out: IO[bytes], message: Any) -> None:
    data = pickle.dumps(message, pickle.HIGHEST_PROTOCOL)
    out.write(_SIZE.pack(len(data)) + data)
    out.flush()


def _serve(app_dir: Path, log_level: int) -> None:
    """The replay process: answer requests until the host closes stdin."""
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # what the app prints must not mix with the answers
    logging.basicConfig(level=log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    engine = EpisodeEngine(load_app(app_dir))
    _send(out, "ready")
    requests = sys.stdin.buffer
    while header := requests.read(_SIZE.size):
        (size,) = _SIZE.unpack(header)
        works, now = pickle.loads(requests.read(size))  # noqa: S301 (from the host)
        _send(out, decide_all(engine, works, now))


if __name__ == "__main__":
    _serve(Path(sys.argv[1]), int(sys.argv[2]))
