"""``python -m shared.sandbox run``: the program's output and exit status pass through."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from shared.adapters.sandbox.local import LocalSandbox

REPO_ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module", autouse=True)
def _isolating() -> None:
    if (reason := LocalSandbox().unavailable_reason()) is not None:
        pytest.skip(reason)


def _cli(workspace: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shared.sandbox", "run", "--workspace", str(workspace), *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_output_and_exit_status_pass_through(tmp_path: Path) -> None:
    (tmp_path / "hello.txt").write_text("from the workspace\n")
    done = _cli(tmp_path, "--", "sh", "-c", "cat hello.txt; echo made > out.txt; exit 7")
    assert done.returncode == 7 and done.stdout == "from the workspace\n"
    assert (tmp_path / "out.txt").read_text() == "made\n"


def test_a_program_past_its_timeout_exits_124(tmp_path: Path) -> None:
    done = _cli(tmp_path, "--timeout", "1", "--", "sleep", "30")
    assert done.returncode == 124 and "killed after 1 s" in done.stderr


def test_no_network_by_default_and_a_missing_workspace_is_refused(tmp_path: Path) -> None:
    code = "import socket; socket.create_connection(('192.0.2.1', 80), timeout=2)"
    done = _cli(tmp_path, "--network", "none", "--", "python3", "-c", code)
    assert done.returncode == 1 and "Network is unreachable" in done.stdout
    missing = _cli(tmp_path / "nope", "--", "true")
    assert missing.returncode == 2 and "is not a directory" in missing.stderr
