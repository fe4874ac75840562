"""cgroup v2 limits for a sandbox run, where the host delegates them.

rlimits bound each process; a cgroup bounds the run as a whole: ``memory.max`` for the sum of
its processes (no swap), ``pids.max`` for their number, and ``cgroup.kill`` takes every process
in it down at once. Each run gets ``<root>/<parent>/<run>``; the launcher moves itself into it
between fork and exec, so every process of the run starts inside. Where cgroup v2 is not mounted,
lacks the memory or pids controller, or cannot be written (a v1 or hybrid host, a container
without delegation), ``available`` is False and the run relies on rlimits alone.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

CONTROLLERS = ("memory", "pids")


class Cgroups:
    def __init__(self, root: Path = Path("/sys/fs/cgroup"), parent: str = "ai-code-agent-sandbox"):
        self._root = root
        self._parent = root / parent
        self._ready: bool | None = None

    def available(self) -> bool:
        """Whether runs get cgroups here: checked (and the parent prepared) once."""
        if self._ready is None:
            self._ready = self._prepare()
        return self._ready

    def _prepare(self) -> bool:
        try:
            offered = (self._root / "cgroup.controllers").read_text().split()
            if not all(name in offered for name in CONTROLLERS):
                return False
            enable = " ".join(f"+{name}" for name in CONTROLLERS)
            (self._root / "cgroup.subtree_control").write_text(enable)
            self._parent.mkdir(exist_ok=True)
            (self._parent / "cgroup.subtree_control").write_text(enable)
        except OSError:
            return False
        return True

    def create(self, name: str, *, memory_bytes: int, processes: int) -> Path:
        """A run's cgroup with its limits; raises ``OSError`` when the host refuses."""
        path = self._parent / name
        path.mkdir()
        (path / "memory.max").write_text(str(memory_bytes))
        with contextlib.suppress(FileNotFoundError):  # no swap accounting on this host
            (path / "memory.swap.max").write_text("0")
        (path / "pids.max").write_text(str(processes))
        return path

    @staticmethod
    def enter(path: Path) -> None:
        """Move the calling process into ``path`` (between fork and exec: only a write). A
        refusal leaves the run with its rlimits, which bound it already."""
        try:
            fd = os.open(path / "cgroup.procs", os.O_WRONLY | os.O_CREAT, 0o644)
        except OSError:
            return
        try:
            os.write(fd, b"0")
        except OSError:
            return
        finally:
            os.close(fd)

    @staticmethod
    def peak_mib(path: Path) -> float:
        try:
            return int((path / "memory.peak").read_text()) / 2**20
        except (OSError, ValueError):
            return 0.0

    @staticmethod
    def remove(path: Path) -> None:
        """Kill whatever is left in the run's cgroup, then remove it."""
        with contextlib.suppress(OSError):
            (path / "cgroup.kill").write_text("1")
        with contextlib.suppress(OSError):
            path.rmdir()
