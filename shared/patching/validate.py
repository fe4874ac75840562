"""The validation gate an applied edit must pass before it becomes a pull request.

Checks, each reported as a ``Violation`` with a machine-readable code:
- ``no-change``: the edit changes nothing (no pull request to open);
- ``unsafe-path``: absolute, ``..``, ``.git`` (see ``paths.unsafe_reason``);
- ``symlink``: with a checkout root, a path through or onto a symlink that leaves the tree, or
  onto a symlink at all (writing would replace the link);
- ``denied-path``: the policy's denied globs, or no allowed glob;
- ``too-many-files`` / ``too-many-lines``: the policy's limits;
- ``binary-file``: new content with NUL bytes;
- ``syntax-error``: a changed Python file that ``ast`` cannot parse;
- ``secret``: an added line holding a secret (``shared.policies.secrets``; the secret itself is
  never echoed);
- ``check-failed`` / ``check-timeout`` / ``setup-failed`` / ``setup-timeout``: the repository's
  check (``check.SandboxCheck``: setup, then the check command, in the sandbox), run once and
  only when everything else passed (never run code the policy refused). A check that could not
  run (``unchecked``) is no violation: the result carries it, and approval follows from it.
"""

from __future__ import annotations

import ast
import bisect
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path

from shared.patching.check import CheckRun, CheckState
from shared.patching.lines import TextLines
from shared.patching.model import ApplyResult, FileChange
from shared.patching.paths import unsafe_reason
from shared.patching.policy import PatchPolicy
from shared.policies.secrets import find_secrets

_PYTHON_SUFFIXES = (".py", ".pyi")
#: Runs the check on the applied files (``check.SandboxCheck``).
CheckRunner = Callable[[Mapping[str, str | None]], CheckRun]


@dataclass(frozen=True)
class Violation:
    code: str
    message: str
    path: str | None = None
    line: int | None = None

    def to_feedback(self) -> str:
        where = self.path or "the edit"
        if self.line is not None:
            where += f", line {self.line}"
        return f"{where}: {self.code}: {self.message}"


@dataclass(frozen=True)
class ValidationResult:
    violations: tuple[Violation, ...]
    check: CheckRun | None = None

    @property
    def ok(self) -> bool:
        return not self.violations

    @property
    def codes(self) -> frozenset[str]:
        return frozenset(violation.code for violation in self.violations)

    def to_feedback(self) -> str:
        header = "The edit applied but failed validation; fix these and resend:"
        return "\n".join([header, *(v.to_feedback() for v in self.violations)])


def validate(
    result: ApplyResult,
    policy: PatchPolicy | None = None,
    *,
    root: Path | None = None,
    check: CheckRunner | None = None,
) -> ValidationResult:
    """Run every check on ``result``; ``root`` (the checkout) enables the symlink checks."""
    policy = policy or PatchPolicy()
    violations: list[Violation] = []
    if not result.changes:
        violations.append(Violation("no-change", "the edit leaves every file as it was"))
    if result.files_changed > policy.max_files:
        violations.append(
            Violation(
                "too-many-files",
                f"{result.files_changed} files changed; the limit is {policy.max_files}",
            )
        )
    changed_lines = result.lines_added + result.lines_removed
    if changed_lines > policy.max_changed_lines:
        violations.append(
            Violation(
                "too-many-lines",
                f"{changed_lines} lines changed; the limit is {policy.max_changed_lines}",
            )
        )
    for change in result.changes:
        violations.extend(_check_change(change, policy, root))
    if violations or check is None:
        return ValidationResult(tuple(violations))
    run = check(result.files)
    if run.state is CheckState.FAILED:
        tail = run.run.output_tail if run.run is not None else ""
        message = f"{run.detail} Command: {run.command!r}. Output:\n{tail}"
        violations.append(Violation(run.reason or "check-failed", message))
    return ValidationResult(tuple(violations), run)


def _check_change(change: FileChange, policy: PatchPolicy, root: Path | None) -> list[Violation]:
    violations: list[Violation] = []
    for path in dict.fromkeys(p for p in (change.old_path, change.new_path) if p is not None):
        reason = unsafe_reason(path)
        if reason is not None:
            violations.append(Violation("unsafe-path", reason, path))
            continue
        if root is not None and (link := _symlink_problem(root, path)) is not None:
            violations.append(Violation("symlink", link, path))
        if (refusal := policy.path_refusal(path)) is not None:
            violations.append(Violation("denied-path", refusal, path))
    new_text = change.new_text
    if new_text is None:
        return violations
    if "\x00" in new_text:
        violations.append(Violation("binary-file", "binary content is not allowed", change.path))
        return violations
    if policy.syntax_check and change.path.endswith(_PYTHON_SUFFIXES):
        violations.extend(_syntax(change.path, new_text))
    if policy.scan_secrets:
        violations.extend(_secrets(change))
    return violations


def _symlink_problem(root: Path, path: str) -> str | None:
    base = root.resolve()
    current = root
    for part in path.split("/"):
        current = current / part
        if current.is_symlink():
            if not current.resolve().is_relative_to(base):
                return f"{current.relative_to(root)} is a symlink leading out of the repository"
            if current.relative_to(root).as_posix() == path:
                return "the path is a symlink; writing it would replace the link"
    return None


def _syntax(path: str, text: str) -> list[Violation]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarning for odd escapes is not our business
            ast.parse(text, filename=path)
    except SyntaxError as exc:
        return [Violation("syntax-error", exc.msg, path, exc.lineno)]
    return []


def _secrets(change: FileChange) -> list[Violation]:
    old = TextLines.parse(change.old_text or "").lines
    new = TextLines.parse(change.new_text or "").lines
    added: list[tuple[int, str]] = []
    for tag, _, _, j1, j2 in SequenceMatcher(None, old, new).get_opcodes():
        if tag in ("insert", "replace"):
            added.extend((number + 1, new[number]) for number in range(j1, j2))
    text = "\n".join(line for _, line in added)
    starts: list[int] = []
    offset = 0
    for _, line in added:
        starts.append(offset)
        offset += len(line) + 1
    violations = []
    for finding in find_secrets(text):
        row = bisect.bisect_right(starts, finding.start) - 1
        violations.append(
            Violation(
                "secret",
                f"an added line holds what looks like a secret ({finding.kind}); use a "
                "reference to a secret store or an environment variable instead",
                change.path,
                added[row][0],
            )
        )
    return violations
