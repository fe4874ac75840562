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


def test_the_patch_command_line_runs_its_check_in_the_sandbox(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from shared.patching.cli import main as patch_main

    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "app.py").write_text("VALUE = 1\n")
    check = "python3 -c 'import app, os, sys; sys.exit(0 if app.VALUE == 2 and os.getuid() else 3)'"

    def apply(value: int) -> int:
        diff = tmp_path / f"to-{value}.diff"
        diff.write_text(f"--- a/app.py\n+++ b/app.py\n@@ -1 +1 @@\n-VALUE = 1\n+VALUE = {value}\n")
        return patch_main(["apply", "--root", str(tree), "--diff", str(diff), "--check", check])

    assert apply(5) == 1 and "check-failed" in capsys.readouterr().err
    assert (tree / "app.py").read_text() == "VALUE = 1\n"  # refused: the tree is untouched
    assert apply(2) == 0 and (tree / "app.py").read_text() == "VALUE = 2\n"
