"""``python -m shared.patching apply``: apply an edit to a directory tree, like ``patch``.

Exit status 0: applied (and validated). 1: refused, with the reasons on stderr and the tree
untouched: everything is computed before the first write, and a failing write is rolled back.
2: bad usage.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from shared.adapters.sandbox.local import LocalSandbox
from shared.domain.errors import PatchRejected
from shared.patching.apply import apply_edits
from shared.patching.check import CheckCommand, SandboxCheck, copy_tree
from shared.patching.formats import EditFormat, parse_edits
from shared.patching.model import ApplyRefusal, FileEdit
from shared.patching.policy import DEFAULT_DENIED_GLOBS, PatchPolicy
from shared.patching.validate import validate
from shared.patching.workspace import read_snapshot, write_files

EXIT_APPLIED = 0
EXIT_REFUSED = 1


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    root = Path(args.root)
    text = sys.stdin.read() if args.diff == "-" else Path(args.diff).read_text("utf-8")
    try:
        edits = parse_edits(text, EditFormat(args.format))
    except PatchRejected as exc:
        return _refuse(args, exc.code, [exc.message])
    snapshot = read_snapshot(root, _needed_paths(edits))
    outcome = apply_edits(snapshot, edits)
    if isinstance(outcome, ApplyRefusal):
        return _refuse(args, "apply-refused", [outcome.to_feedback()], outcome)
    if not args.no_validate:
        policy = PatchPolicy(
            allowed_globs=tuple(args.allow) or ("**",),
            denied_globs=() if args.no_default_deny else DEFAULT_DENIED_GLOBS + tuple(args.deny),
            max_files=args.max_files,
            max_changed_lines=args.max_lines,
        )
        with tempfile.TemporaryDirectory(prefix="patch-check-") as workspace:
            check = None
            if args.check:
                copy_tree(root, Path(workspace))
                command = CheckCommand(tuple(shlex.split(args.check)), args.check_timeout)
                check = SandboxCheck(LocalSandbox(), "cli", command, Path(workspace))
            report = validate(outcome, policy, root=root, check=check)
        if report.check is not None and not report.check.passed and report.ok:
            print(f"check {report.check.state}: {report.check.detail}", file=sys.stderr)
        if not report.ok:
            return _refuse(args, "validation-failed", [report.to_feedback()])
    if not args.dry_run:
        try:
            write_files(root, outcome.files)
        except PatchRejected as exc:
            return _refuse(args, exc.code, [exc.message])
    if args.json:
        print(
            json.dumps(
                {
                    "applied": True,
                    "files": sorted(outcome.files),
                    "lines_added": outcome.lines_added,
                    "lines_removed": outcome.lines_removed,
                    "methods": dict(outcome.methods),
                    "diff": outcome.diff,
                }
            )
        )
    else:
        for path, content in sorted(outcome.files.items()):
            print(f"{'deleted' if content is None else 'patched'} {path}")
    return EXIT_APPLIED


def _needed_paths(edits: Sequence[FileEdit]) -> list[str] | None:
    """The snapshot paths the edits may resolve to; None (read all) if one names no file."""
    needed: list[str] = []
    for edit in edits:
        names = [name for name in (edit.old_path, edit.new_path) if name is not None]
        if not names:
            return None
        for name in names:
            needed.extend([name, name.split("/", 1)[-1], *name.split()[:1]])
    return list(dict.fromkeys(needed))


def _refuse(
    args: argparse.Namespace, code: str, reasons: list[str], refusal: ApplyRefusal | None = None
) -> int:
    if args.json:
        failures = [
            {"path": f.path, "hunk": f.hunk, "reason": f.reason.value, "message": f.message}
            for f in (refusal.failures if refusal else ())
        ]
        print(json.dumps({"applied": False, "code": code, "failures": failures}))
    for reason in reasons:
        print(reason, file=sys.stderr)
    return EXIT_REFUSED


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m shared.patching")
    commands = parser.add_subparsers(dest="command", required=True)
    apply = commands.add_parser("apply", help="apply an edit to a tree, or change nothing")
    apply.add_argument("--root", required=True, help="the tree to patch")
    apply.add_argument("--diff", required=True, help="the edit (a file, or - for stdin)")
    apply.add_argument(
        "--format", default="auto", choices=[fmt.value for fmt in EditFormat], help="edit format"
    )
    apply.add_argument("--dry-run", action="store_true", help="check only; write nothing")
    apply.add_argument("--json", action="store_true", help="print a JSON result on stdout")
    apply.add_argument("--no-validate", action="store_true", help="skip the validation gate")
    apply.add_argument("--allow", action="append", default=[], help="allowed glob (repeatable)")
    apply.add_argument("--deny", action="append", default=[], help="extra denied glob")
    apply.add_argument("--no-default-deny", action="store_true", help="drop default denials")
    apply.add_argument("--max-files", type=int, default=PatchPolicy.max_files)
    apply.add_argument("--max-lines", type=int, default=PatchPolicy.max_changed_lines)
    apply.add_argument("--check", help="command run in the sandbox on a patched copy of the tree")
    apply.add_argument("--check-timeout", type=float, default=CheckCommand.timeout_s)
    return parser
