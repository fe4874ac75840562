"""The one way the app runs repository code: a program in a workspace, isolated and limited.

Repository code (its check command, its ``setup:`` commands, and the LLM's patch to it) is
hostile input. It runs only through a ``Sandbox``: locally in Linux namespaces
(``shared.adapters.sandbox.local``), in Azure in Container Apps dynamic sessions
(``shared.adapters.sandbox.dynamic_sessions``). Every adapter guarantees, for one ``run``:

- the program sees the workspace (read-write, at ``WORKSPACE_MOUNT``) and a read-only toolchain,
  nothing of the caller's files, environment, processes or other tenants' workspaces;
- network only when ``limits.network`` is ``setup`` (installing dependencies), never for checks;
- wall time, CPU, memory, process count and disk are bounded; at the wall limit the whole
  process tree is killed and the run reports ``timed_out``; nothing it started outlives it;
- the result carries the exit code, the tail of its combined output and the resources it used.

A sandbox that cannot isolate says so (``unavailable_reason``) and raises ``SandboxUnavailable``
from ``run``: callers then report the check as ``unchecked``, never run it another way. Failures
of the sandbox itself (not of the program) are ``SandboxError`` subclasses, retryable where a
retry can help. A program that fails, crashes or is killed is not an error: it is a result.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from shared.domain.errors import SandboxUnavailable

#: Where the workspace appears inside every sandbox (relocatable virtualenvs rely on it).
WORKSPACE_MOUNT = "/workspace"
OUTPUT_TAIL_CHARS = 4000
TIMEOUT_EXIT_CODE = 124


class NetworkPolicy(StrEnum):
    NONE = "none"  # checks: no network at all, not even loopback of the host
    SETUP = "setup"  # dependency installation: what setup needs, as the platform allows


@dataclass(frozen=True)
class Limits:
    """Bounds of one run. ``disk_mib`` bounds the largest file written and the private /tmp."""

    wall_s: float = 300.0
    cpu_s: int = 300
    memory_mib: int = 2048
    processes: int = 128
    disk_mib: int = 1024
    network: NetworkPolicy = NetworkPolicy.NONE


@dataclass(frozen=True)
class Usage:
    """What the run used, as far as the adapter can tell (0 when it cannot)."""

    wall_s: float = 0.0
    cpu_s: float = 0.0
    max_rss_mib: float = 0.0


@dataclass(frozen=True)
class SandboxRun:
    """The program's outcome. ``exit_code`` is None when it was killed at the wall limit."""

    exit_code: int | None
    timed_out: bool
    output_tail: str
    usage: Usage = field(default_factory=Usage)

    @property
    def passed(self) -> bool:
        return self.exit_code == 0 and not self.timed_out

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "passed": self.passed}


def tail(output: bytes | str, limit: int = OUTPUT_TAIL_CHARS) -> str:
    text = output.decode("utf-8", errors="replace") if isinstance(output, bytes) else output
    return text[-limit:]


class Sandbox(ABC):
    """Runs a program in a workspace under limits (see the module docstring for the contract)."""

    #: Short name for lineage and messages: ``bwrap``, ``unshare``, ``dynamic-sessions``.
    name: str = "sandbox"

    @abstractmethod
    def unavailable_reason(self) -> str | None:
        """None when this sandbox can isolate programs here; otherwise why not."""

    @abstractmethod
    def run(self, tenant: str, workspace: Path, argv: Sequence[str], limits: Limits) -> SandboxRun:
        """Run ``argv`` with the workspace as its working directory; the workspace holds the
        program's writes afterwards. Raises ``SandboxUnavailable`` when it cannot isolate."""


Program = Callable[[Path, Sequence[str], Limits], tuple[int | None, str]]


class FakeSandbox(Sandbox):
    """In-memory stand-in for service unit tests: records runs, answers with ``program``.

    ``program(workspace, argv, limits)`` returns ``(exit_code or None for a timeout, output)``;
    by default every program passes. ``unavailable`` makes it refuse like a host without
    namespaces. It isolates nothing, so it is never wired outside tests.
    """

    name = "fake"

    def __init__(self, program: Program | None = None, *, unavailable: str | None = None) -> None:
        self.program = program or (lambda _workspace, _argv, _limits: (0, ""))
        self.unavailable = unavailable
        self.runs: list[tuple[str, tuple[str, ...], Limits]] = []

    def unavailable_reason(self) -> str | None:
        return self.unavailable

    def run(self, tenant: str, workspace: Path, argv: Sequence[str], limits: Limits) -> SandboxRun:
        if self.unavailable:
            raise SandboxUnavailable(self.unavailable)
        self.runs.append((tenant, tuple(argv), limits))
        started = time.monotonic()
        code, output = self.program(workspace, argv, limits)
        usage = Usage(wall_s=round(time.monotonic() - started, 3))
        return SandboxRun(code, code is None, tail(output), usage)
