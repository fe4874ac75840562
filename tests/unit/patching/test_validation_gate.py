"""The validation gate: syntax, path policy, limits, binary content, secrets, sandboxed check."""

from __future__ import annotations

import string
from pathlib import Path

import pytest

from shared.patching import (
    ApplyResult,
    CheckCommand,
    CheckState,
    PatchPolicy,
    SandboxCheck,
    apply_edits,
    parse_edits,
    validate,
)
from shared.patching.paths import matches_glob
from shared.ports.sandbox import FakeSandbox


def applied(snapshot: dict[str, str], diff: str) -> ApplyResult:
    outcome = apply_edits(snapshot, parse_edits(diff))
    assert isinstance(outcome, ApplyResult), outcome.to_feedback()
    return outcome


def create(path: str, *lines: str) -> str:
    body = "".join(f"+{line}\n" for line in lines)
    return f"--- /dev/null\n+++ b/{path}\n@@ -0,0 +1,{len(lines)} @@\n{body}"


def test_valid_python_change_passes() -> None:
    report = validate(applied({}, create("pkg/ok.py", "def f():", "    return 1")))
    assert report.ok and report.violations == ()


def test_python_syntax_error_is_reported_with_its_line() -> None:
    report = validate(applied({}, create("pkg/bad.py", "def f(:", "    return 1")))
    [violation] = report.violations
    assert (violation.code, violation.path, violation.line) == ("syntax-error", "pkg/bad.py", 1)


def test_syntax_warnings_do_not_break_validation() -> None:
    report = validate(applied({}, create("pkg/re.py", "import re", "PATTERN = '\\d+'")))
    assert report.ok


@pytest.mark.parametrize(
    "path",
    [
        ".github/workflows/ci.yml",
        ".gitlab-ci.yml",
        "azure-pipelines.yml",
        "poetry.lock",
        "web/package-lock.json",
        ".env",
        "config/.env.production",
        "certs/server.pem",
        "home/id_rsa",
        "deploy/id_ed25519.pub",
    ],
)
def test_default_policy_denies_ci_lock_and_secret_files(path: str) -> None:
    report = validate(applied({}, create(path, "x")))
    assert report.codes == {"denied-path"}


def test_allowed_globs_restrict_changes() -> None:
    policy = PatchPolicy(allowed_globs=("src/**", "tests/**"))
    assert validate(applied({}, create("src/a.txt", "x")), policy).ok
    assert validate(applied({}, create("docs/a.txt", "x")), policy).codes == {"denied-path"}


def test_glob_semantics() -> None:
    assert matches_glob("a/b/c.lock", "*.lock")
    assert matches_glob(".github/workflows/x/y.yml", ".github/workflows/**")
    assert not matches_glob("src/.github/workflows/y.yml", ".github/workflows/**")
    assert matches_glob("src/x.py", "src/*.py") and not matches_glob("src/a/x.py", "src/*.py")
    assert matches_glob("src/a/x.py", "src/**/*.py") and matches_glob("src/x.py", "src/**/*.py")


def test_limits_on_files_and_lines() -> None:
    diff = "".join(create(f"f{i}.txt", *[f"line {n}" for n in range(4)]) for i in range(3))
    report = validate(applied({}, diff), PatchPolicy(max_files=2, max_changed_lines=10))
    assert report.codes == {"too-many-files", "too-many-lines"}


def test_binary_content_is_refused() -> None:
    result = applied(
        {"data.txt": "a\n"}, "--- a/data.txt\n+++ b/data.txt\n@@ -1 +1 @@\n-a\n+\x00\n"
    )
    assert validate(result).codes == {"binary-file"}


def test_secret_in_an_added_line_is_reported_without_echoing_it() -> None:
    token = "ghp_" + (string.ascii_letters + string.digits)[:36]
    result = applied(
        {"app.py": "import os\n\nTOKEN = os.environ['TOKEN']\n"},
        "--- a/app.py\n+++ b/app.py\n@@ -3 +3 @@\n"
        f"-TOKEN = os.environ['TOKEN']\n+TOKEN = '{token}'\n",
    )
    [violation] = validate(result).violations
    assert (violation.code, violation.path, violation.line) == ("secret", "app.py", 3)
    assert token not in violation.to_feedback()


def test_secret_already_in_the_file_is_not_blamed_on_the_edit() -> None:
    token = "ghp_" + (string.ascii_letters + string.digits)[:36]
    original = f"TOKEN = '{token}'\nx = 1\n"
    result = applied(
        {"app.py": original}, "--- a/app.py\n+++ b/app.py\n@@ -2 +2 @@\n-x = 1\n+x = 2\n"
    )
    assert validate(result).ok


def test_symlink_leading_out_of_the_checkout_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    root = tmp_path / "repo"
    root.mkdir()
    (root / "link").symlink_to(outside, target_is_directory=True)
    report = validate(applied({}, create("link/evil.txt", "x")), root=root)
    assert report.codes == {"symlink"}


def _program(workspace: Path, argv, limits) -> tuple[int | None, str]:
    """Stands for the repository's check: passes when app.py says VALUE = 2."""
    if argv[0] == "sleep":
        return None, ""
    text = (workspace / "app.py").read_text() if (workspace / "app.py").exists() else ""
    return (0, "ok") if "VALUE = 2" in text else (4, "boom")


def test_check_runs_in_the_sandbox_on_the_patched_workspace(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("VALUE = 1\n")
    result = applied(
        {"app.py": "VALUE = 1\n"},
        "--- a/app.py\n+++ b/app.py\n@@ -1 +1 @@\n-VALUE = 1\n+VALUE = 2\n",
    )
    sandbox = FakeSandbox(_program)
    check = SandboxCheck(sandbox, "acme", CheckCommand(("pytest",), 30), tmp_path)
    report = validate(result, root=tmp_path, check=check)
    assert report.ok and report.check is not None and report.check.state is CheckState.PASSED
    assert [run[:2] for run in sandbox.runs] == [("acme", ("pytest",))]
    assert (tmp_path / "app.py").read_text() == "VALUE = 2\n"  # written into the workspace


def test_a_failing_check_is_a_violation_with_its_output(tmp_path: Path) -> None:
    check = SandboxCheck(FakeSandbox(_program), "acme", CheckCommand(("pytest",), 30), tmp_path)
    report = validate(applied({}, create("a.txt", "x")), root=tmp_path, check=check)
    [violation] = report.violations
    assert violation.code == "check-failed" and "exited with 4" in violation.message
    assert "boom" in violation.message
    assert report.check is not None and report.check.state is CheckState.FAILED


def test_check_command_past_its_time_limit_is_a_timeout(tmp_path: Path) -> None:
    sleeper = SandboxCheck(FakeSandbox(_program), "acme", CheckCommand(("sleep",), 0.5), tmp_path)
    report = validate(applied({}, create("a.txt", "x")), root=tmp_path, check=sleeper)
    assert report.codes == {"check-timeout"}
    assert "did not finish in 0.5 s" in report.violations[0].message


def test_check_command_does_not_run_when_the_policy_refuses(tmp_path: Path) -> None:
    sandbox = FakeSandbox(_program)
    check = SandboxCheck(sandbox, "acme", CheckCommand(("pytest",)), tmp_path)
    report = validate(applied({}, create(".github/workflows/ci.yml", "x")), check=check)
    assert report.codes == {"denied-path"} and report.check is None
    assert sandbox.runs == [] and not (tmp_path / ".github").exists()


def test_without_a_sandbox_the_check_is_unchecked_never_run(tmp_path: Path) -> None:
    sandbox = FakeSandbox(_program, unavailable="no namespaces here")
    check = SandboxCheck(sandbox, "acme", CheckCommand(("pytest",)), tmp_path)
    report = validate(applied({}, create("a.txt", "x")), root=tmp_path, check=check)
    assert report.ok and report.check is not None
    assert (report.check.state, report.check.reason) == (CheckState.UNCHECKED, "no-sandbox")
    assert not report.check.passed and sandbox.runs == []


def test_policy_from_a_repository_config() -> None:
    policy = PatchPolicy.from_dict({"max_files": 3, "extra_denied_globs": ["migrations/**"]})
    assert policy.max_files == 3
    assert policy.path_refusal("migrations/0001.sql") is not None
    assert policy.path_refusal(".github/workflows/ci.yml") is not None
    assert policy.path_refusal("src/app.py") is None


def test_edit_that_changes_nothing_is_reported() -> None:
    answer = "a.py\n<<<<<<< SEARCH\nx = 1\n=======\nx = 1\n>>>>>>> REPLACE\n"
    outcome = apply_edits({"a.py": "x = 1\n"}, parse_edits(answer))
    assert isinstance(outcome, ApplyResult) and outcome.changes == ()
    assert validate(outcome).codes == {"no-change"}
