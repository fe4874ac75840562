"""Value types of the patch engine: parsed edits, placements' outcomes and their feedback text.

Everything here is immutable. Paths are repository-relative POSIX paths. A hunk's lines carry no
line terminators: line endings belong to the target file and are preserved by the engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

Op = Literal[" ", "-", "+"]


class EditKind(StrEnum):
    MODIFY = "modify"
    CREATE = "create"
    DELETE = "delete"
    RENAME = "rename"


@dataclass(frozen=True)
class HunkLine:
    op: Op
    text: str


@dataclass(frozen=True)
class Hunk:
    """One contiguous change: context (" "), removed ("-") and added ("+") lines, in order.

    The header numbers are what the edit claimed (1-based, as in ``@@ -a,b +c,d @@``); ``None``
    when absent (search/replace blocks, ``@@ @@``). They are hints, never trusted blindly: see
    ``FileEdit.header_trusted``. ``old_no_newline``/``new_no_newline`` record a
    ``\\ No newline at end of file`` marker after the last line of that side. ``crlf`` says the
    lines carried CRLF of their own (their header line did not): the terminator to use where the
    target file has none to preserve (a new or empty file).
    """

    lines: tuple[HunkLine, ...]
    old_start: int | None = None
    old_count: int | None = None
    new_start: int | None = None
    new_count: int | None = None
    old_no_newline: bool = False
    new_no_newline: bool = False
    crlf: bool = False

    @property
    def old_lines(self) -> tuple[str, ...]:
        return tuple(line.text for line in self.lines if line.op != "+")

    @property
    def new_lines(self) -> tuple[str, ...]:
        return tuple(line.text for line in self.lines if line.op != "-")

    @property
    def header_matches_body(self) -> bool:
        """True when the header has numbers and its counts equal the body's."""
        return (
            self.old_start is not None
            and self.new_start is not None
            and self.old_count == len(self.old_lines)
            and self.new_count == len(self.new_lines)
        )

    @property
    def old_index(self) -> int | None:
        """0-based index of the first old line (git writes ``start`` = line before when empty)."""
        if self.old_start is None or self.old_count is None:
            return None
        return self.old_start if self.old_count == 0 else self.old_start - 1

    @property
    def new_index(self) -> int | None:
        if self.new_start is None or self.new_count is None:
            return None
        return self.new_start if self.new_count == 0 else self.new_start - 1


@dataclass(frozen=True)
class FileEdit:
    """The edit of one file, in whichever format it came.

    ``old_path``/``new_path`` are ``None`` for a created/deleted file; both are ``None`` when the
    edit named no file at all (a bare hunk): the engine then looks for the one file where every
    hunk fits with certainty. For a modification both name the same file, possibly spelt
    differently by a damaged header: the engine uses the one that exists. ``replacement`` is a
    whole-file content; ``unsupported`` says why the engine must refuse this edit (a binary patch,
    a copy), since silently skipping part of an edit would apply it wrongly. ``check_elision``
    says the edit replaces text wholesale (whole file, search/replace), so that a placeholder for
    left-out code in it must be refused (see ``elision``).
    """

    kind: EditKind
    old_path: str | None
    new_path: str | None
    hunks: tuple[Hunk, ...] = ()
    replacement: str | None = None
    unsupported: str | None = None
    check_elision: bool = False

    @property
    def path(self) -> str | None:
        return self.new_path if self.new_path is not None else self.old_path

    @property
    def header_trusted(self) -> bool:
        """True when the hunk headers are self-consistent, as in a diff written by a tool.

        Every hunk has numbers whose counts match its body, hunks come in order without overlap,
        and each new start equals the old start shifted by the earlier hunks' growth. Only then
        may a line number choose between identical candidate places; a header that fails this
        check was damaged and its numbers are ignored.
        """
        shift = 0
        previous_end = 0
        for hunk in self.hunks:
            old_index, new_index = hunk.old_index, hunk.new_index
            if not hunk.header_matches_body or old_index is None or new_index is None:
                return False
            if old_index < previous_end or new_index != old_index + shift:
                return False
            previous_end = old_index + len(hunk.old_lines)
            shift += len(hunk.new_lines) - len(hunk.old_lines)
        return bool(self.hunks)


class FailureReason(StrEnum):
    """Machine-readable reasons an edit was refused."""

    NOT_FOUND = "not-found"
    AMBIGUOUS = "ambiguous"
    OVERLAP = "overlap"
    NO_CONTEXT = "no-context"
    INDENTATION = "indentation"
    FILE_MISSING = "file-missing"
    FILE_EXISTS = "file-exists"
    UNKNOWN_FILE = "unknown-file"
    CONFLICTING_EDITS = "conflicting-edits"
    UNSAFE_PATH = "unsafe-path"
    UNSUPPORTED = "unsupported"
    DELETE_MISMATCH = "delete-mismatch"
    ELIDED = "elided"


@dataclass(frozen=True)
class Candidate:
    """Lines of the file near where a hunk was looked for (``start`` is 1-based)."""

    start: int
    lines: tuple[str, ...]
    similarity: float


@dataclass(frozen=True)
class HunkFailure:
    """Why one hunk (or a whole file edit, ``hunk`` = None) could not be placed with certainty."""

    path: str | None
    hunk: int | None
    reason: FailureReason
    message: str
    candidates: tuple[Candidate, ...] = ()

    def to_feedback(self) -> str:
        """Plain text for the LLM: where, why, and the file's real lines to copy from."""
        where = self.path or "(no file named)"
        if self.hunk is not None:
            where += f", hunk {self.hunk + 1}"
        parts = [f"{where}: {self.reason.value}: {self.message}"]
        for candidate in self.candidates:
            end = candidate.start + len(candidate.lines) - 1
            parts.append(
                f"  lines {candidate.start}-{end} of the file "
                f"({candidate.similarity:.0%} similar) are:"
            )
            parts.extend(
                f"  {candidate.start + offset:>5} | {text}"
                for offset, text in enumerate(candidate.lines)
            )
        return "\n".join(parts)


@dataclass(frozen=True)
class ApplyRefusal:
    """Nothing was applied: one entry per hunk or file that could not be placed."""

    failures: tuple[HunkFailure, ...]

    @property
    def ok(self) -> Literal[False]:
        return False

    def to_feedback(self) -> str:
        header = "The edit was not applied; nothing changed. Fix these parts and resend them:"
        return "\n\n".join([header, *(failure.to_feedback() for failure in self.failures)])


@dataclass(frozen=True)
class FileChange:
    """One file's before and after (``None``: absent), as written by ``ApplyResult.files``."""

    old_path: str | None
    new_path: str | None
    old_text: str | None
    new_text: str | None
    added: int
    removed: int

    @property
    def path(self) -> str:
        path = self.new_path if self.new_path is not None else self.old_path
        assert path is not None  # a change always has at least one side
        return path


@dataclass(frozen=True)
class ApplyResult:
    """The whole edit applied: every hunk was placed with certainty.

    ``files`` maps each touched path to its new content, ``None`` for a deleted (or renamed-away)
    file; ``diff`` is a normalised git-style unified diff of exactly these changes.
    """

    changes: tuple[FileChange, ...]
    diff: str
    methods: Mapping[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> Literal[True]:
        return True

    @property
    def files(self) -> dict[str, str | None]:
        files: dict[str, str | None] = {}
        for change in self.changes:
            if change.old_path is not None and change.old_path != change.new_path:
                files[change.old_path] = None
            if change.new_path is not None:
                files[change.new_path] = change.new_text
        return files

    @property
    def files_changed(self) -> int:
        return len(self.changes)

    @property
    def lines_added(self) -> int:
        return sum(change.added for change in self.changes)

    @property
    def lines_removed(self) -> int:
        return sum(change.removed for change in self.changes)
