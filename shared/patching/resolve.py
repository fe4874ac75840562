"""Deciding which snapshot file each edit is about, before any hunk is placed.

Damaged headers name files loosely: ``a/``-less or doubly prefixed paths, a path followed by
prose, a modification of a file that does not exist yet (a creation), or no path at all. A name is
accepted only when it, or its ``-p1`` form, is a snapshot file; an edit without a name goes to the
one file where all its hunks fit with certainty, and is refused when none or several fit. Several
edits of one file are merged when they only carry hunks, refused otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from shared.patching.file_apply import FileOutcome, apply_hunks
from shared.patching.lines import normalise_whitespace
from shared.patching.model import (
    EditKind,
    FailureReason,
    FileEdit,
    Hunk,
    HunkFailure,
)


@dataclass(frozen=True)
class ResolvedEdit:
    """An edit bound to snapshot paths; each hunk carries whether its header is trusted."""

    kind: EditKind
    old_path: str | None
    new_path: str | None
    hunks: tuple[tuple[Hunk, bool], ...] = ()
    replacement: str | None = None
    unsupported: str | None = None
    check_elision: bool = False

    @property
    def path_for_feedback(self) -> str:
        path = self.new_path if self.new_path is not None else self.old_path
        return path or "(unknown)"


def resolve_edits(
    snapshot: Mapping[str, str], edits: Sequence[FileEdit]
) -> tuple[list[ResolvedEdit], list[HunkFailure]]:
    """The edits bound to files, and a failure for each edit that could not be bound."""
    resolved: list[ResolvedEdit] = []
    failures: list[HunkFailure] = []
    for edit in edits:
        item = _resolve(snapshot, edit)
        if isinstance(item, HunkFailure):
            failures.append(item)
        else:
            resolved.append(item)
    merged = _merge(resolved)
    if isinstance(merged, HunkFailure):
        return [], [*failures, merged]
    return merged, failures


def _resolve(snapshot: Mapping[str, str], edit: FileEdit) -> ResolvedEdit | HunkFailure:
    trusted = edit.header_trusted
    hunks = tuple((hunk, trusted) for hunk in edit.hunks)
    if edit.old_path is None and edit.new_path is None:
        return _find_file(snapshot, edit, hunks)

    def bound(kind: EditKind, old_path: str | None, new_path: str | None) -> ResolvedEdit:
        return ResolvedEdit(
            kind,
            old_path,
            new_path,
            hunks,
            edit.replacement,
            edit.unsupported,
            edit.check_elision,
        )

    if edit.kind is EditKind.CREATE or (
        edit.kind is EditKind.RENAME and _existing(snapshot, edit.old_path) is not None
    ):
        if edit.new_path in snapshot:
            return _failure(edit.new_path, FailureReason.FILE_EXISTS, "the file already exists")
        old_path = _existing(snapshot, edit.old_path) if edit.kind is EditKind.RENAME else None
        return bound(edit.kind, old_path, edit.new_path)
    if edit.kind is EditKind.DELETE and (existing := _existing(snapshot, edit.old_path)):
        return bound(EditKind.DELETE, existing, None)
    if edit.kind is EditKind.MODIFY:
        names = (edit.old_path, edit.new_path)
        existing = next((found for p in names if (found := _existing(snapshot, p))), None)
        creates = edit.replacement is not None or all(not h.old_lines for h in edit.hunks)
        if existing is not None or creates:
            kind = EditKind.MODIFY if existing is not None else EditKind.CREATE
            return bound(kind, existing, existing or edit.path)
    return _failure(
        edit.old_path or edit.path,
        FailureReason.FILE_MISSING,
        "the file does not exist; use the path of an existing file, or a creation with "
        "only added lines",
    )


def _existing(snapshot: Mapping[str, str], path: str | None) -> str | None:
    """``path`` or its ``-p1`` or first-word form, whichever names a snapshot file."""
    if path is None:
        return None
    variants = [path, path.split("/", 1)[-1], path.split()[0] if path.split() else path]
    return next((variant for variant in variants if variant in snapshot), None)


def _find_file(
    snapshot: Mapping[str, str], edit: FileEdit, hunks: tuple[tuple[Hunk, bool], ...]
) -> ResolvedEdit | HunkFailure:
    """The one file the edit can be about: where no hunk is plainly absent. A file where a hunk
    is ambiguous still counts, so that a hunk ambiguous in its own file is never placed in
    another file where it happens to be unique."""
    probes = {normalise_whitespace(line) for h in edit.hunks for line in h.old_lines} - {""}
    plausible: list[str] = []
    fits: list[str] = []
    for path, text in snapshot.items() if probes else ():
        flat = normalise_whitespace(text)
        if not any(probe in flat for probe in probes):
            continue
        outcome = apply_hunks(path, text, list(hunks))
        if isinstance(outcome, FileOutcome):
            fits.append(path)
            plausible.append(path)
        elif all(failure.reason not in _ABSENT for failure in outcome):
            plausible.append(path)
    if len(plausible) == 1 and fits:
        return ResolvedEdit(
            EditKind.MODIFY, fits[0], fits[0], hunks, check_elision=edit.check_elision
        )
    if plausible:
        found = f"could be about {len(plausible)} files ({', '.join(sorted(plausible)[:5])})"
    else:
        found = "fits no file"
    return _failure(
        None,
        FailureReason.UNKNOWN_FILE,
        f"the edit names no file and {found}; name the file it changes",
    )


_ABSENT = (FailureReason.NOT_FOUND, FailureReason.NO_CONTEXT)


def _merge(resolved: list[ResolvedEdit]) -> list[ResolvedEdit] | HunkFailure:
    by_path: dict[str, int] = {}
    merged: list[ResolvedEdit] = []
    for item in resolved:
        paths = {item.old_path, item.new_path} - {None}
        seen = {by_path[p] for p in paths if p is not None and p in by_path}
        if not seen:
            for path in paths:
                assert path is not None
                by_path[path] = len(merged)
            merged.append(item)
            continue
        target = merged[seen.pop()]
        if seen or not _mergeable(target, item):
            return _failure(
                item.path_for_feedback,
                FailureReason.CONFLICTING_EDITS,
                "the file is edited more than once in incompatible ways; send one edit per file",
            )
        merged[by_path[item.path_for_feedback]] = ResolvedEdit(
            target.kind,
            target.old_path,
            target.new_path,
            target.hunks + item.hunks,
            check_elision=target.check_elision or item.check_elision,
        )
    return merged


def _mergeable(first: ResolvedEdit, second: ResolvedEdit) -> bool:
    def plain(item: ResolvedEdit) -> bool:
        return (
            item.kind is EditKind.MODIFY
            and item.replacement is None
            and item.unsupported is None
            and bool(item.hunks)
        )

    return plain(first) and plain(second) and first.old_path == second.old_path


def _failure(path: str | None, reason: FailureReason, message: str) -> HunkFailure:
    return HunkFailure(path, None, reason, message)
