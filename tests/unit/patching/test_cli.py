"""``python -m shared.patching apply``: applies in place, or changes nothing and says why."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from shared.domain.errors import PatchRejected
from shared.patching.cli import main
from shared.patching.workspace import write_files

REPO_ROOT = Path(__file__).resolve().parents[3]


def tree_state(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "src").mkdir(parents=True)
    (root / "src" / "app.py").write_bytes(b"def main():\r\n    return 1\r\n")
    (root / "README.md").write_bytes(b"# App\n")
    return root


def write_diff(tmp_path: Path, text: str) -> str:
    path = tmp_path / "edit.diff"
    path.write_text(text)
    return str(path)


def test_apply_changes_the_tree_and_exits_zero(
    tree: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    diff = (
        "```diff\n--- src/app.py\n+++ src/app.py\n@@ -5,2 +5,2 @@\n"
        " def main():\n-    return 1\n+    return 2\n```\n"
    )
    assert main(["apply", "--root", str(tree), "--diff", write_diff(tmp_path, diff)]) == 0
    assert (tree / "src" / "app.py").read_bytes() == b"def main():\r\n    return 2\r\n"
    assert capsys.readouterr().out == "patched src/app.py\n"


def test_refusal_exits_nonzero_and_leaves_every_file_untouched(
    tree: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = tree_state(tree)
    diff = (
        "--- a/README.md\n+++ b/README.md\n@@ -1 +1 @@\n-# App\n+# My app\n"
        "--- a/src/app.py\n+++ b/src/app.py\n@@ -1,2 +1,2 @@\n"
        " def main():\n-    return 7\n+    return 8\n"
    )
    assert main(["apply", "--root", str(tree), "--diff", write_diff(tmp_path, diff)]) == 1
    assert tree_state(tree) == before
    err = capsys.readouterr().err
    assert "src/app.py, hunk 1: not-found" in err and "return 1" in err


def test_validation_failure_exits_nonzero_and_leaves_the_tree(
    tree: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = tree_state(tree)
    diff = "--- /dev/null\n+++ b/.github/workflows/ci.yml\n@@ -0,0 +1 @@\n+on: push\n"
    assert main(["apply", "--root", str(tree), "--diff", write_diff(tmp_path, diff)]) == 1
    assert tree_state(tree) == before
    assert "denied-path" in capsys.readouterr().err


def test_json_output_and_stdin(
    tree: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    answer = "README.md\n<<<<<<< SEARCH\n# App\n=======\n# App\n\nDocs.\n>>>>>>> REPLACE\n"
    monkeypatch.setattr(sys, "stdin", io.StringIO(answer))
    assert main(["apply", "--root", str(tree), "--diff", "-", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["applied"], report["files"], report["lines_added"]) == (True, ["README.md"], 2)
    assert (tree / "README.md").read_text() == "# App\n\nDocs.\n"


def test_dry_run_writes_nothing(tree: Path, tmp_path: Path) -> None:
    before = tree_state(tree)
    diff = "--- a/README.md\n+++ b/README.md\n@@ -1 +1 @@\n-# App\n+# Other\n"
    assert (
        main(["apply", "--root", str(tree), "--diff", write_diff(tmp_path, diff), "--dry-run"]) == 0
    )
    assert tree_state(tree) == before


def test_failed_write_is_rolled_back(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = tree_state(tree)
    real_replace = os.replace
    calls = []

    def flaky_replace(source: str, target: str, **dir_fds: int) -> None:
        calls.append(target)
        if len(calls) == 2:
            raise OSError("disk full")
        real_replace(source, target, **dir_fds)

    monkeypatch.setattr(os, "replace", flaky_replace)
    files = {"README.md": "# New\n", "src/app.py": "x\n", "docs/new/guide.md": "guide\n"}
    with pytest.raises(OSError, match="disk full"):
        write_files(tree, files)
    assert tree_state(tree) == before
    assert not (tree / "docs").exists()


def test_module_entry_point_runs(tree: Path, tmp_path: Path) -> None:
    diff = write_diff(
        tmp_path, "--- a/README.md\n+++ b/README.md\n@@ -1 +1 @@\n-# App\n+# Renamed\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "shared.patching", "apply", "--root", str(tree), "--diff", diff],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stdout) == (0, "patched README.md\n"), done.stderr
    assert (tree / "README.md").read_text() == "# Renamed\n"


@pytest.fixture
def outside(tree: Path, tmp_path: Path) -> Path:
    """A directory outside the tree, reachable from it through the symlinks ``out`` (a
    directory) and ``src/link.py`` (a file)."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "victim.py").write_bytes(b"SAFE = True\n")
    (tree / "out").symlink_to(outside, target_is_directory=True)
    (tree / "src" / "link.py").symlink_to(outside / "victim.py")
    return outside


@pytest.mark.parametrize(
    "diff",
    [
        "--- /dev/null\n+++ b/out/planted.py\n@@ -0,0 +1 @@\n+import os\n",
        "--- /dev/null\n+++ b/out/deeper/planted.py\n@@ -0,0 +1 @@\n+import os\n",
        "--- a/out/victim.py\n+++ b/out/victim.py\n@@ -1 +1 @@\n-SAFE = True\n+SAFE = False\n",
        "--- a/src/link.py\n+++ b/src/link.py\n@@ -1 +1 @@\n-SAFE = True\n+SAFE = False\n",
        "`src/link.py`:\n```python\nSAFE = False\n```\n",
    ],
    ids=["create-through-dir", "create-deeper", "modify-through-dir", "modify-link", "whole-link"],
)
def test_no_validate_never_writes_through_a_symlink_out_of_the_tree(
    tree: Path, outside: Path, tmp_path: Path, diff: str, capsys: pytest.CaptureFixture[str]
) -> None:
    before_outside, before_tree = tree_state(outside), tree_state(tree)
    args = ["apply", "--root", str(tree), "--diff", write_diff(tmp_path, diff), "--no-validate"]

    assert main(args) == 1

    assert tree_state(outside) == before_outside and tree_state(tree) == before_tree
    assert (tree / "out").is_symlink() and (tree / "src" / "link.py").is_symlink()
    assert capsys.readouterr().err.strip()


def test_write_files_refuses_a_symlink_on_the_way_and_writes_nothing(
    tree: Path, outside: Path
) -> None:
    files = {"docs/new.md": "new\n", "README.md": "# Changed\n", "out/planted.py": "x = 1\n"}
    before = tree_state(tree)

    with pytest.raises(PatchRejected) as refused:
        write_files(tree, files)

    assert refused.value.code == "unsafe-path" and "out is not a directory" in refused.value.message
    assert tree_state(tree) == before and not (tree / "docs").exists()
    assert sorted(p.name for p in outside.iterdir()) == ["victim.py"]
