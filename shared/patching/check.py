"""The repository's own check command (tests, linters), run on a temporary copy of the checkout.

The command comes from the repository's agent config and runs LLM-written code, so it gets a copy
of the tree (never the checkout itself, and without ``.git``), a scrubbed environment (no
credentials of this process leak into it), its own process group, and a time limit after which
the whole group is killed.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from shared.patching.paths import unsafe_reason

OUTPUT_TAIL_CHARS = 4000
_PASSED_ENV = ("PATH", "LANG", "LC_ALL", "TZ", "SYSTEMROOT")


@dataclass(frozen=True)
class CheckCommand:
    """``argv`` run at the root of the patched copy; passes when it exits 0 within the limit."""

    argv: tuple[str, ...]
    timeout_s: float = 300.0
    env: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckRun:
    exit_code: int | None
    timed_out: bool
    duration_s: float
    output_tail: str

    @property
    def passed(self) -> bool:
        return self.exit_code == 0 and not self.timed_out


def run_check(command: CheckCommand, root: Path, files: Mapping[str, str | None]) -> CheckRun:
    """Copy ``root`` (without ``.git``), write ``files`` over it (``None`` deletes), run.

    Raises ``ValueError`` for a path that is unsafe or leads out of the copy through a symlink:
    callers validate paths first (``validate`` does).
    """
    with tempfile.TemporaryDirectory(prefix="patch-check-") as workdir:
        tree = Path(workdir) / "tree"
        shutil.copytree(root, tree, symlinks=True, ignore=shutil.ignore_patterns(".git"))
        for path, text in files.items():
            target = tree / path
            if unsafe_reason(path) or not target.parent.resolve().is_relative_to(tree.resolve()):
                raise ValueError(f"refusing to write {path!r} outside the checkout copy")
            if text is None:
                target.unlink(missing_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(text.encode("utf-8"))
        env = {name: os.environ[name] for name in _PASSED_ENV if name in os.environ}
        env.update({"HOME": workdir, "TMPDIR": workdir, **command.env})
        return _run(command, tree, env)


def _run(command: CheckCommand, cwd: Path, env: dict[str, str]) -> CheckRun:
    started = time.monotonic()
    with subprocess.Popen(
        list(command.argv),
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    ) as process:
        try:
            output, _ = process.communicate(timeout=command.timeout_s)
            timed_out = False
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            output, _ = process.communicate()
            timed_out = True
    text = output.decode("utf-8", errors="replace")
    return CheckRun(
        None if timed_out else process.returncode,
        timed_out,
        round(time.monotonic() - started, 3),
        text[-OUTPUT_TAIL_CHARS:],
    )
