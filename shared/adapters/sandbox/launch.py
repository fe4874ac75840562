"""Running the sandbox's launcher (bwrap or unshare) bounded, and making sure nothing outlives it.

Between fork and exec the launcher gets the run's rlimits (and enters its cgroup); output goes to
a file the caller owns; a watchdog enforces the wall limit and the disk limit; afterwards every
live process of the run's uid is gone before the run is reported.
"""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

from shared.adapters.sandbox.cgroup import Cgroups
from shared.ports.sandbox import Limits, Usage, tail

MIB = 1024 * 1024
_TAIL_READ_BYTES = 64 * 1024


def kill_uid(uid: int, deadline_s: float = 10.0) -> None:
    """Make sure nothing of the run survives it. The namespace's reaper going away kills the
    rest asynchronously; this waits for that (and kills stragglers, whatever the cause), so that
    ``run`` returns only once no live process of the run's uid is left."""
    give_up = time.monotonic() + deadline_s
    while time.monotonic() < give_up:
        alive = _pids_of(uid)
        if not alive:
            return
        for pid in alive:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.01)


def _pids_of(uid: int) -> list[int]:
    """Live (not zombie) processes whose real uid is ``uid``."""
    pids = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/status", encoding="ascii", errors="replace") as status:
                fields = dict(line.split(":", 1) for line in status if ":" in line)
        except OSError:
            continue
        if fields.get("Uid", "").split()[:1] == [str(uid)] and "Z" not in fields.get("State", ""):
            pids.append(int(entry.name))
    return pids


def _limiter(limits: Limits, cgroup: Path | None) -> Callable[[], None]:
    memory = limits.memory_mib * MIB
    disk = limits.disk_mib * MIB
    cpu = max(1, int(limits.cpu_s))

    def apply() -> None:  # runs in the child between fork and exec: setrlimit and one write
        if cgroup is not None:
            Cgroups.enter(cgroup)
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        resource.setrlimit(resource.RLIMIT_NPROC, (limits.processes, limits.processes))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        resource.setrlimit(resource.RLIMIT_FSIZE, (disk, disk))
        resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


def run_bounded(
    command: list[str],
    output: IO[bytes],
    limits: Limits,
    *,
    workspace: Path,
    cgroup: Path | None,
) -> tuple[int | None, bool, Usage]:
    """Run the launcher; (exit code or None when killed at the wall limit, timed out, usage).

    A watchdog kills the launcher's session at the wall limit, and as soon as the workspace's
    filesystem has lost more than ``disk_mib`` since the start (the file-size rlimit bounds one
    file, not how many): the run then fails with exit status 1 and says so in its output."""
    started = time.monotonic()
    process = subprocess.Popen(  # argv built by the caller, never through a shell
        command,
        stdin=subprocess.DEVNULL,
        stdout=output,
        stderr=subprocess.STDOUT,
        cwd="/",
        env={"PATH": "/usr/bin:/bin:/usr/sbin:/sbin"},
        start_new_session=True,
        preexec_fn=_limiter(limits, cgroup),  # noqa: PLW1509  # setrlimit and one write
    )
    watchdog = _Watchdog(process.pid, limits, workspace)
    watchdog.start()
    try:
        _, status, rusage = os.wait4(process.pid, 0)
    finally:
        watchdog.stop()
    process.returncode = os.waitstatus_to_exitcode(status)  # already reaped: keep Popen quiet
    usage = Usage(
        wall_s=round(time.monotonic() - started, 3),
        cpu_s=round(rusage.ru_utime + rusage.ru_stime, 3),
        max_rss_mib=round(
            Cgroups.peak_mib(cgroup) if cgroup is not None else rusage.ru_maxrss / 1024, 1
        ),
    )
    if watchdog.killed_for == "time":
        return None, True, usage
    if watchdog.killed_for == "disk":
        output.write(
            f"\nsandbox: the run wrote more than {limits.disk_mib} MiB; it was killed\n".encode()
        )
        return 1, False, usage
    code = process.returncode
    return (128 - code if code < 0 else code), False, usage


class _Watchdog(threading.Thread):
    POLL_S = 0.1

    def __init__(self, pid: int, limits: Limits, workspace: Path) -> None:
        super().__init__(daemon=True)
        self._pid = pid
        self._deadline = time.monotonic() + limits.wall_s
        self._disk = limits.disk_mib * MIB
        self._workspace = workspace
        self._free = _free_bytes(workspace)
        self._stopped = threading.Event()
        self.killed_for: str | None = None

    def run(self) -> None:
        while not self._stopped.wait(self.POLL_S):
            if time.monotonic() >= self._deadline:
                self._kill("time")
                return
            if self._free - _free_bytes(self._workspace) > self._disk:
                self._kill("disk")
                return

    def _kill(self, reason: str) -> None:
        self.killed_for = reason
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._pid, signal.SIGKILL)

    def stop(self) -> None:
        self._stopped.set()
        self.join()


def _free_bytes(path: Path) -> int:
    stat = os.statvfs(path)
    return stat.f_bavail * stat.f_frsize


def read_tail(output: IO[bytes]) -> str:
    size = output.seek(0, os.SEEK_END)
    output.seek(max(0, size - _TAIL_READ_BYTES))
    return tail(output.read())
