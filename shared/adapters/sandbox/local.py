"""The local sandbox (Linux): bubblewrap when installed, else util-linux ``unshare``.

See ``namespaces`` for the world the program sees. This module adds what the launcher owns:
- a fresh unprivileged uid per run (from ``uid_range``, never 0 and never the caller's), which
  owns the workspace for the run; rlimits count processes per uid, so the process limit is the
  run's own;
- rlimits on the whole tree: address space (memory), processes, CPU seconds, file size (disk),
  open files, no core dumps; the private /tmp is a tmpfs of ``disk_mib``; and where the host
  delegates cgroup v2, a cgroup of the run's own bounding its total memory and process count
  (``cgroup.Cgroups``);
- the wall limit and the disk limit (the workspace's filesystem losing more than ``disk_mib``):
  a watchdog SIGKILLs the launcher's session, and the namespace's reaper takes every process of
  the run down with it, detached daemons included (``launch``);
- output goes to an unlinked temporary file (bounded by the file-size limit), never a pipe that
  a leftover process could hold open.

Isolating needs root (to switch to the run's uid and to build namespaces without user
namespaces). Where that or both tools are missing, ``unavailable_reason`` says why and ``run``
raises ``SandboxUnavailable``: the caller reports ``unchecked`` and runs nothing.
"""

from __future__ import annotations

import os
import random
import shutil
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from shared.adapters.sandbox.cgroup import Cgroups
from shared.adapters.sandbox.launch import MIB, kill_uid, read_tail, run_bounded
from shared.adapters.sandbox.namespaces import SETPRIV, bwrap_argv, unshare_argv
from shared.domain.errors import SandboxUnavailable
from shared.ports.sandbox import Limits, NetworkPolicy, Sandbox, SandboxRun

BACKENDS = ("bwrap", "unshare")


class LocalSandbox(Sandbox):
    """Runs programs in Linux namespaces; ``backend`` is ``auto`` (bwrap, else unshare), or one
    of ``BACKENDS`` to insist on it. ``toolchain`` lists extra host directories mounted
    read-only at the same path (a language runtime outside /usr, for example)."""

    def __init__(
        self,
        *,
        backend: str = "auto",
        toolchain: Sequence[Path] = (),
        uid_range: tuple[int, int] = (200_000, 265_000),
        cgroups: Cgroups | None = None,
    ) -> None:
        if backend not in ("auto", *BACKENDS):
            raise ValueError(f"unknown sandbox backend {backend!r}")
        self._backend = backend
        self._toolchain = tuple(toolchain)
        self._uid_range = uid_range
        self._cgroups = cgroups or Cgroups()
        self._uids_in_use: set[int] = set()
        self._lock = threading.Lock()
        self._probed: tuple[str | None, str | None] | None = None  # (tool path, reason)

    @property
    def name(self) -> str:  # type: ignore[override]  # known only once probed
        tool, _ = self._probe()
        return Path(tool).name if tool else "none"

    def unavailable_reason(self) -> str | None:
        return self._probe()[1]

    def run(
        self,
        tenant: str,
        workspace: Path,
        argv: Sequence[str],
        limits: Limits,
        *,
        stream: IO[bytes] | None = None,
    ) -> SandboxRun:
        """As the port; with ``stream`` (the CLI's stdout) the output goes there instead, and
        the result's tail is empty."""
        tool, reason = self._probe()
        if tool is None:
            raise SandboxUnavailable(reason or "no sandbox")
        return self._launch(tool, workspace, argv, limits, stream)

    def _probe(self) -> tuple[str | None, str | None]:
        """Find a tool and prove it isolates by running ``true`` in it, once per instance."""
        with self._lock:
            if self._probed is not None:
                return self._probed
        probed = self._find_tool()
        tool = probed[0]
        if tool is not None:
            with tempfile.TemporaryDirectory(prefix="sandbox-probe-") as directory:
                try:
                    run = self._launch(tool, Path(directory), ["/bin/true"], Limits(wall_s=30))
                except OSError as exc:
                    run = SandboxRun(None, False, str(exc))
            if not run.passed:
                probed = (None, f"{Path(tool).name} cannot isolate here: {run.output_tail[-500:]}")
        with self._lock:
            self._probed = probed
        return probed

    def _find_tool(self) -> tuple[str | None, str | None]:
        if os.geteuid() != 0:
            return None, "the local sandbox must start as root to run code as a separate uid"
        if not Path(SETPRIV).exists():
            return None, f"{SETPRIV} (util-linux) is missing"
        wanted = BACKENDS if self._backend == "auto" else (self._backend,)
        for name in wanted:
            if (path := shutil.which(name)) is not None:
                return path, None
        return None, f"neither {' nor '.join(wanted)} is installed (Debian: bubblewrap)"

    def _launch(
        self,
        tool: str,
        workspace: Path,
        argv: Sequence[str],
        limits: Limits,
        stream: IO[bytes] | None = None,
    ) -> SandboxRun:
        uid = self._allocate_uid()
        cgroup = self._cgroup(uid, limits)
        try:
            _chown_tree(workspace, uid)
            build = bwrap_argv if Path(tool).name == "bwrap" else unshare_argv
            command = build(
                tool,
                workspace=workspace.resolve(),
                uid=uid,
                argv=argv,
                network=limits.network == NetworkPolicy.SETUP,
                tmp_bytes=limits.disk_mib * MIB,
                toolchain=self._toolchain,
            )
            if stream is not None:
                code, timed_out, usage = run_bounded(
                    command, stream, limits, workspace=workspace, cgroup=cgroup
                )
                return SandboxRun(code, timed_out, "", usage)
            with tempfile.TemporaryFile() as output:
                code, timed_out, usage = run_bounded(
                    command, output, limits, workspace=workspace, cgroup=cgroup
                )
                return SandboxRun(code, timed_out, read_tail(output), usage)
        finally:
            kill_uid(uid)
            if cgroup is not None:
                self._cgroups.remove(cgroup)
            with self._lock:
                self._uids_in_use.discard(uid)

    def _cgroup(self, uid: int, limits: Limits) -> Path | None:
        if not self._cgroups.available():
            return None
        try:
            return self._cgroups.create(
                f"run-{uid}-{os.getpid()}",
                memory_bytes=limits.memory_mib * MIB,
                processes=limits.processes,
            )
        except OSError:
            return None

    def _allocate_uid(self) -> int:
        low, high = self._uid_range
        with self._lock:
            while True:
                uid = random.randrange(low, high)  # noqa: S311  # not a secret, only distinct
                if uid not in self._uids_in_use and uid not in (0, os.getuid()):
                    self._uids_in_use.add(uid)
                    return uid


def _chown_tree(root: Path, uid: int) -> None:
    """Hand the workspace to the run's uid, without following links out of it."""
    os.lchown(root, uid, uid)
    for directory, dirs, files in os.walk(root):
        for name in (*dirs, *files):
            os.lchown(os.path.join(directory, name), uid, uid)
