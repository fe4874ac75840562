"""The repository's own check command (tests, linters), run in the ``Sandbox`` on the workspace.

The check runs LLM-written code that no human has read: it runs only through the ``Sandbox``
port (never on this host), once per attempt, on a workspace the caller owns and throws away.
First the repository's ``setup:`` commands (dependencies) run on the unpatched workspace with
the setup network policy, unless the dependency cache already holds their result for these lock
files; then the patch is written and the check runs with no network. The outcome is one of
three honest states:

- ``passed``: the check ran and exited 0 within its limits;
- ``failed``: setup or the check failed or timed out (the output tail says how);
- ``unchecked``: nothing ran, with a reason (``no-check-configured``, ``too-large``,
  ``no-sandbox``). Unchecked is never a pass: it always needs a human's approval.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

from shared.domain.errors import SandboxUnavailable
from shared.patching.dependencies import DependencyCache
from shared.patching.paths import unsafe_reason
from shared.ports.sandbox import Limits, NetworkPolicy, Sandbox, SandboxRun


class CheckState(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    UNCHECKED = "unchecked"


#: Why a check did not run; each one needs a human's approval instead.
UNCHECKED_REASONS = {
    "no-check-configured": "the repository configures no check command",
    "too-large": "the repository is too large to check out",
    "no-checkout": "this connection's credentials cannot check the repository out with git",
    "no-sandbox": "no sandbox can isolate the check on this host",
}


@dataclass(frozen=True)
class CheckCommand:
    """``argv`` run at the workspace root; ``setup`` commands run first, with the setup network
    (each a shell command line or an argv)."""

    argv: tuple[str, ...]
    timeout_s: float = 300.0
    setup: tuple[tuple[str, ...], ...] = ()
    setup_timeout_s: float = 600.0
    cache_paths: tuple[str, ...] = ()

    @property
    def display(self) -> str:
        return " ".join(self.argv)


@dataclass(frozen=True)
class CheckRun:
    """What happened: the state, why (violation code when failed, reason when unchecked), and
    the run of the phase that decided it."""

    state: CheckState
    command: str
    reason: str | None = None
    phase: str = "check"
    run: SandboxRun | None = None
    detail: str = ""
    setup_cached: bool = False

    @property
    def passed(self) -> bool:
        return self.state is CheckState.PASSED

    def to_dict(self) -> dict[str, Any]:
        run = self.run
        return {
            "state": self.state.value,
            "passed": self.passed,
            "command": self.command,
            "reason": self.reason,
            "phase": self.phase,
            "detail": self.detail,
            "setup_cached": self.setup_cached,
            "exit_code": None if run is None else run.exit_code,
            "timed_out": False if run is None else run.timed_out,
            "usage": None if run is None else run.to_dict()["usage"],
            "output_tail": "" if run is None else run.output_tail[-2000:],
        }


def unchecked(command: str, reason: str) -> CheckRun:
    return CheckRun(CheckState.UNCHECKED, command, reason, detail=UNCHECKED_REASONS[reason])


@dataclass(frozen=True)
class SandboxCheck:
    """Runs ``command`` for ``tenant`` in ``sandbox`` on ``workspace`` (written to, never
    copied: the caller owns it and wipes it). ``setup_network`` is what the deployment allows
    setup (``none`` where the sandbox has no egress at all)."""

    sandbox: Sandbox
    tenant: str
    command: CheckCommand
    workspace: Path
    cache: DependencyCache | None = None
    setup_network: NetworkPolicy = NetworkPolicy.SETUP

    def __call__(self, files: Mapping[str, str | None]) -> CheckRun:
        """Setup on the workspace as committed, then write ``files`` (``None`` deletes) and run
        the check. Setup runs before the patch on purpose: it is the only phase with a network,
        so code the LLM wrote never runs with one (a patched ``setup.py`` or build hook would).

        Raises ``ValueError`` for a path that is unsafe or leads out of the workspace through a
        symlink: callers validate paths first (``validate`` does)."""
        try:
            failed, cached = self._setup()
            if failed is not None:
                return failed
            write_into(self.workspace, files)
            limits = Limits(wall_s=self.command.timeout_s, cpu_s=int(self.command.timeout_s) + 1)
            run = self.sandbox.run(self.tenant, self.workspace, self.command.argv, limits)
        except SandboxUnavailable:
            return unchecked(self.command.display, "no-sandbox")
        judged = _judged(self.command.display, "check", run, self.command.timeout_s)
        return replace(judged, setup_cached=cached)

    def _setup(self) -> tuple[CheckRun | None, bool]:
        """Run setup, or restore it from the cache: (a failed run if it failed, from cache)."""
        if not self.command.setup:
            return None, False
        key = self.cache.key(self.workspace, self.command.setup) if self.cache else None
        if self.cache and key and self.cache.restore(self.tenant, key, self.workspace):
            return None, True
        limits = Limits(
            wall_s=self.command.setup_timeout_s,
            cpu_s=int(self.command.setup_timeout_s) + 1,
            network=self.setup_network,
        )
        for argv in self.command.setup:
            run = self.sandbox.run(self.tenant, self.workspace, argv, limits)
            if not run.passed:
                failed = _judged(" ".join(argv), "setup", run, limits.wall_s)
                if self.setup_network is NetworkPolicy.NONE:
                    note = " Setup ran without network: this deployment gives setup none."
                    failed = replace(failed, detail=failed.detail + note)
                return failed, False
        if self.cache and key:
            self.cache.store(self.tenant, key, self.workspace, self.command.cache_paths)
        return None, False


def _judged(command: str, phase: str, run: SandboxRun, limit_s: float) -> CheckRun:
    if run.passed:
        return CheckRun(CheckState.PASSED, command, phase=phase, run=run)
    what = "setup command" if phase == "setup" else "check command"
    if run.timed_out:
        reason, detail = f"{phase}-timeout", f"did not finish in {limit_s:g} s"
    else:
        reason, detail = f"{phase}-failed", f"exited with {run.exit_code}"
    return CheckRun(CheckState.FAILED, command, reason, phase, run, f"the {what} {detail}.")


def write_into(root: Path, files: Mapping[str, str | None]) -> None:
    """Write ``files`` over ``root`` (``None`` deletes), refusing paths that leave it."""
    base = root.resolve()
    for path, text in files.items():
        target = root / path
        if unsafe_reason(path) or not target.parent.resolve().is_relative_to(base):
            raise ValueError(f"refusing to write {path!r} outside the workspace")
        if target.is_symlink():
            target.unlink()
        if text is None:
            target.unlink(missing_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(text.encode("utf-8"))


def copy_tree(root: Path, workspace: Path) -> None:
    """A copy of ``root`` without ``.git`` (symlinks kept as links), for the command line."""
    shutil.copytree(
        root, workspace, symlinks=True, ignore=shutil.ignore_patterns(".git"), dirs_exist_ok=True
    )
