"""The model's tools on a checkout: confined to it, redacted, cut, and never a task failure."""

from __future__ import annotations

import os
import random
import string
from pathlib import Path

import pytest

from shared.domain.llm_tools import ToolCall
from shared.patching import CheckCommand, SandboxCheck
from shared.patching.check import CheckRun, unchecked
from shared.ports.sandbox import FakeSandbox
from shared.retrieval.index import RepoIndex
from shared.services.patch_flow.tools import TOOL_SPECS, CheckoutTools, ToolResult

RNG = random.Random(20261206)
KEY = RNG.randbytes(32)
TOKEN = "ghp_" + "".join(RNG.choice(string.ascii_letters + string.digits) for _ in range(36))
FILES = {
    "app/config.py": "def parse_config(text):\n    '''Parse the settings.'''\n    return text\n",
    "app/server.py": "from app.config import parse_config\n\n\nclass Server:\n"
    "    def start(self):\n        return parse_config('x')\n",
    "README.md": "# Demo\n",
    "settings.env": f"GITHUB_TOKEN={TOKEN}\n",
}


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    for path, text in FILES.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    (root / ".git").mkdir()
    (root / ".git" / "config").write_text("[core]\n")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("outside the checkout\n")
    os.symlink(outside, root / "escape")
    os.symlink(outside / "secret.txt", root / "app" / "link.txt")
    return root


def no_check(_files: object) -> CheckRun:
    return unchecked("", "no-check-configured")


def tools(root: Path, **kwargs: object) -> CheckoutTools:
    index = RepoIndex.from_checkout(root)
    return CheckoutTools(root, index, no_check, KEY, **kwargs)  # type: ignore[arg-type]


def call(t: CheckoutTools, tool: str, **arguments: object) -> ToolResult:
    return t.run(ToolCall("call_1", tool, dict(arguments)))


def test_the_specs_name_every_tool() -> None:
    assert [s.name for s in TOOL_SPECS] == [
        "search_code",
        "read_file",
        "list_dir",
        "find_symbol",
        "run_check",
    ]


def test_search_code_and_find_symbol_answer_from_the_index(checkout: Path) -> None:
    t = tools(checkout)
    found = call(t, "search_code", query="parse config settings")
    assert found.ok and found.output.splitlines()[0].startswith("app/config.py:1-3")
    symbol = call(t, "find_symbol", name="Server.start")
    assert symbol.ok and symbol.output == "app/server.py:5-6  function Server.start"
    assert not call(t, "find_symbol", name="").ok


def test_read_file_numbers_the_lines_asked_for(checkout: Path) -> None:
    result = call(tools(checkout), "read_file", path="app/server.py", start=4, end=5)
    assert result.ok and result.output == "4  class Server:\n5      def start(self):"
    assert call(tools(checkout), "read_file", path="./app/config.py").output.startswith("1  def")


@pytest.mark.parametrize(
    "path",
    [
        "../outside/secret.txt",
        "/etc/passwd",
        "escape/secret.txt",
        "app/link.txt",
        ".git/config",
        "app/../../outside/secret.txt",
        "missing.py",
    ],
)
def test_read_file_never_leaves_the_checkout(checkout: Path, path: str) -> None:
    result = call(tools(checkout), "read_file", path=path)
    assert not result.ok and "outside the checkout" not in result.output


def test_list_dir_shows_symlinks_without_following_them(checkout: Path) -> None:
    t = tools(checkout)
    assert call(t, "list_dir").output == "README.md\napp/\nescape@\nsettings.env"
    assert call(t, "list_dir", path="app/").output == "config.py\nlink.txt@\nserver.py"
    for path in ("escape", "..", "/tmp", "app/config.py"):
        assert not call(t, "list_dir", path=path).ok


def test_outputs_are_redacted_with_the_tenant_key_and_cut(checkout: Path) -> None:
    result = call(tools(checkout), "read_file", path="settings.env")
    assert result.ok and TOKEN not in result.output and result.redactions == 1
    short = call(tools(checkout, max_chars=20), "read_file", path="app/server.py")
    assert short.truncated and short.output.startswith("1  from app.config")
    assert short.output.endswith("[... cut at 20 characters]")


def test_run_check_runs_the_repositorys_check_in_the_sandbox(checkout: Path) -> None:
    sandbox = FakeSandbox(lambda _w, _a, _l: (1, f"FAILED test_x token={TOKEN}"))
    command = CheckCommand(("pytest", "-q"), timeout_s=30)
    check = SandboxCheck(sandbox, "t1", command, checkout, None)
    t = CheckoutTools(checkout, RepoIndex.from_checkout(checkout), check, KEY)
    result = call(t, "run_check")
    assert result.ok and result.output.startswith("failed: pytest -q")
    assert "check exit code 1\nFAILED test_x" in result.output and TOKEN not in result.output
    assert sandbox.runs[0][:2] == ("t1", ("pytest", "-q"))
    assert call(tools(checkout), "run_check").output.startswith("unchecked:  (no-check-configured)")


@pytest.mark.parametrize(
    ("name", "arguments"),
    [
        ("rm_rf", {}),
        ("read_file", {"paths": "x"}),
        ("read_file", {"path": 3}),
        ("read_file", {"path": "app/config.py", "start": 0}),
        ("_safe", {"path": "x"}),
    ],
)
def test_bad_calls_are_answers_not_failures(checkout: Path, name: str, arguments: dict) -> None:  # type: ignore[type-arg]
    result = tools(checkout).run(ToolCall("c", name, arguments))
    assert not result.ok and result.call_id == "c"
