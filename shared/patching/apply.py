"""Applying parsed edits to a snapshot of repository files: all of them, or none.

Guarantees:
- The snapshot is never mutated; the result lists new contents only.
- Either every hunk of every file is placed with certainty (see ``locate``) and an
  ``ApplyResult`` comes back, or nothing is applied and an ``ApplyRefusal`` lists, for each part
  that failed, why and the file's nearest lines, in words meant for the LLM.
- Line terminators and the final-newline state of each file are preserved (``file_apply``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from shared.patching.elision import elided_line
from shared.patching.file_apply import FileOutcome, apply_hunks
from shared.patching.lines import CRLF, TextLines, join_lines, normalise_whitespace
from shared.patching.model import (
    ApplyRefusal,
    ApplyResult,
    EditKind,
    FailureReason,
    FileChange,
    FileEdit,
    Hunk,
    HunkFailure,
)
from shared.patching.paths import unsafe_reason
from shared.patching.render import render_file_diff
from shared.patching.resolve import ResolvedEdit, resolve_edits


@dataclass(frozen=True)
class _Done:
    change: FileChange
    methods: tuple[str, ...]


def apply_edits(
    snapshot: Mapping[str, str], edits: Sequence[FileEdit]
) -> ApplyResult | ApplyRefusal:
    """Apply ``edits`` to ``snapshot`` (path → text of every file the edits may touch)."""
    resolved, failures = resolve_edits(snapshot, edits)
    done: list[_Done] = []
    for item in resolved:
        outcome = _apply_one(snapshot, item)
        if isinstance(outcome, list):
            failures.extend(outcome)
        elif outcome.change.old_text != outcome.change.new_text or _moves(outcome.change):
            done.append(outcome)
    if failures:
        return ApplyRefusal(tuple(failures))
    methods: dict[str, int] = {}
    for item_done in done:
        for method in item_done.methods:
            methods[method] = methods.get(method, 0) + 1
    changes = tuple(item_done.change for item_done in done)
    diff = "".join(
        render_file_diff(c.old_path, c.new_path, c.old_text, c.new_text) for c in changes
    )
    return ApplyResult(changes, diff, methods)


def _moves(change: FileChange) -> bool:
    return change.old_path != change.new_path


def _refusal(item: ResolvedEdit, old_text: str | None) -> HunkFailure | None:
    for path in (item.old_path, item.new_path):
        if path is not None and (reason := unsafe_reason(path)) is not None:
            return _whole_file_failure(path, FailureReason.UNSAFE_PATH, reason)
    if item.unsupported is not None:
        path = item.new_path or item.old_path
        return _whole_file_failure(path, FailureReason.UNSUPPORTED, item.unsupported)
    return _elision(item, old_text) if item.check_elision else None


def _apply_one(snapshot: Mapping[str, str], item: ResolvedEdit) -> _Done | list[HunkFailure]:
    old_text = snapshot[item.old_path] if item.old_path is not None else None
    if (refusal := _refusal(item, old_text)) is not None:
        return [refusal]
    if item.kind is EditKind.DELETE:
        return _delete(item, old_text)
    if item.replacement is not None:
        new_text = _replace_whole(old_text, item.replacement)
        return _done(item, old_text, new_text, ("whole",))
    if old_text is None:
        return _create(item)
    outcome = apply_hunks(item.path_for_feedback, old_text, list(item.hunks))
    if isinstance(outcome, FileOutcome):
        return _done(item, old_text, outcome.text, outcome.methods)
    return outcome


def _elision(item: ResolvedEdit, old_text: str | None) -> HunkFailure | None:
    """A failure naming the first line of a wholesale replacement that stands for left-out
    code: applying it would delete the code it stands for."""
    sides: list[tuple[int | None, tuple[str, ...], tuple[str, ...], str]]
    if item.replacement is not None:
        old = TextLines.parse(old_text or "").lines
        sides = [(None, old, TextLines.parse(item.replacement).lines, "the new content")]
    else:
        sides = [
            (number, hunk.old_lines, hunk.new_lines, "the replacement")
            for number, (hunk, _) in enumerate(item.hunks)
        ]
    for number, old, new, what in sides:
        if (found := elided_line(old, new)) is not None:
            line, text = found
            return HunkFailure(
                item.path_for_feedback,
                number,
                FailureReason.ELIDED,
                f"line {line} of {what}, {text.strip()!r}, stands for code left out; nothing "
                "may be elided: write every line the edit keeps, or send a diff instead",
            )
    return None


def _create(item: ResolvedEdit) -> _Done | list[HunkFailure]:
    lines: list[str] = []
    final_newline = True
    eol = CRLF if any(hunk.crlf for hunk, _ in item.hunks) else "\n"
    for number, (hunk, _) in enumerate(item.hunks):
        if hunk.old_lines:
            return [
                HunkFailure(
                    item.path_for_feedback,
                    number,
                    FailureReason.FILE_MISSING,
                    "the file does not exist, so a hunk for it may only add lines",
                )
            ]
        lines.extend(hunk.new_lines)
        final_newline = not hunk.new_no_newline
    text = join_lines(lines, [eol] * len(lines), eol=eol, final_newline=final_newline)
    return _done(item, None, text, ("create",))


def _delete(item: ResolvedEdit, old_text: str | None) -> _Done | list[HunkFailure]:
    assert old_text is not None and item.old_path is not None
    removed = [text for hunk, _ in item.hunks for text in _removed_lines(hunk)]
    actual = TextLines.parse(old_text).lines
    if item.hunks and list(map(normalise_whitespace, removed)) != list(
        map(normalise_whitespace, actual)
    ):
        return [
            _whole_file_failure(
                item.old_path,
                FailureReason.DELETE_MISMATCH,
                "the deletion's removed lines are not the file's content; delete the file "
                "with a diff that removes every line, or with no hunk at all",
            )
        ]
    return _done(item, old_text, None, ("delete",))


def _removed_lines(hunk: Hunk) -> list[str]:
    return [line.text for line in hunk.lines if line.op != "+"]


def _replace_whole(old_text: str | None, replacement: str) -> str:
    """The replacement with the old file's terminators and final-newline state."""
    new = TextLines.parse(replacement)
    if old_text is None or not old_text:
        eol, final_newline = "\n", True
    else:
        old = TextLines.parse(old_text)
        eol, final_newline = old.eol, old.ends_with_newline
    return join_lines(list(new.lines), [eol] * len(new.lines), eol=eol, final_newline=final_newline)


def _done(
    item: ResolvedEdit, old_text: str | None, new_text: str | None, methods: tuple[str, ...]
) -> _Done:
    old_lines = TextLines.parse(old_text or "").lines
    new_lines = TextLines.parse(new_text or "").lines
    added, removed = _count_changes(old_lines, new_lines)
    change = FileChange(item.old_path, item.new_path, old_text, new_text, added, removed)
    return _Done(change, methods)


def _count_changes(old: tuple[str, ...], new: tuple[str, ...]) -> tuple[int, int]:
    added = removed = 0
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, old, new).get_opcodes():
        if tag != "equal":
            removed += i2 - i1
            added += j2 - j1
    return added, removed


def _whole_file_failure(path: str | None, reason: FailureReason, message: str) -> HunkFailure:
    return HunkFailure(path, None, reason, message)
