"""Parser for unified diffs, git-style or plain, as written by tools or (damaged) by LLMs.

Tolerated damage: wrong or missing hunk numbers and counts (the body is recounted), missing
``a/``/``b/`` prefixes, missing ``diff --git`` or ``---``/``+++`` headers (a bare hunk names no
file), blank context lines that lost their leading space, CRLF, timestamps after file names,
prose between files. When a hunk's counts agree with its body they decide where it ends, as in
``git apply``, so a clean diff is read exactly even when its lines look like headers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from shared.patching.model import EditKind, FileEdit, Hunk, HunkLine, Op

HUNK_NUMBERS = re.compile(r"^@@+\s*-(\d+)(?:,(\d+))?\s+\+(\d+)(?:,(\d+))?\s*@@")
_DIFF_MARKER = re.compile(r"^(?:@@|diff --git |--- \S.*\n\+\+\+ )", re.MULTILINE)
_OCTAL_OR_CHAR = re.compile(r"\\([0-7]{3}|.)")
_C_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "a": "\a", "b": "\b", "f": "\f"}
DEV_NULL = "/dev/null"


@dataclass
class _FileBuilder:
    git_old: str | None = None
    git_new: str | None = None
    old: str | None = None
    new: str | None = None
    rename_from: str | None = None
    rename_to: str | None = None
    created: bool = False
    deleted: bool = False
    unsupported: str | None = None
    git_style: bool = False
    hunks: list[Hunk] = field(default_factory=list)

    @property
    def has_names(self) -> bool:
        return self.old is not None or self.new is not None

    def build(self) -> FileEdit | None:
        old = self.old if self.old is not None else self.git_old
        new = self.new if self.new is not None else self.git_new
        if old is None and new is None and not self.hunks:
            return None
        created = self.created or old == DEV_NULL
        deleted = self.deleted or new == DEV_NULL
        strip = self.git_style or _both_prefixed(old, new)
        old_path = None if old in (None, DEV_NULL) else _strip_prefix(old, "a/", strip)
        new_path = None if new in (None, DEV_NULL) else _strip_prefix(new, "b/", strip)
        if self.rename_from is not None and self.rename_to is not None:
            old_path, new_path = self.rename_from, self.rename_to
        if created and new_path is not None:
            kind, old_path = EditKind.CREATE, None
        elif deleted and old_path is not None:
            kind, new_path = EditKind.DELETE, None
        elif self.rename_from is not None and old_path != new_path:
            kind = EditKind.RENAME
        else:
            kind = EditKind.MODIFY
            old_path, new_path = old_path or new_path, new_path or old_path
        return FileEdit(kind, old_path, new_path, tuple(self.hunks), unsupported=self.unsupported)


def has_diff_marker(text: str) -> bool:
    """Whether ``text`` holds a hunk header, a ``diff --git`` line or a ``---``/``+++`` pair."""
    return _DIFF_MARKER.search(text) is not None


def parse_unified_diff(text: str) -> tuple[FileEdit, ...]:
    """Every file edit found in ``text``; lines outside headers and hunks are ignored."""
    lines = [line.rstrip("\r") for line in text.split("\n")]
    carriage = [len(raw) - len(line) for raw, line in zip(text.split("\n"), lines, strict=True)]
    edits: list[FileEdit] = []
    current: _FileBuilder | None = None

    def finish() -> None:
        if current is not None and (edit := current.build()) is not None:
            edits.append(edit)

    index = 0
    while index < len(lines):
        line = lines[index]
        if line.startswith("diff --git "):
            finish()
            current = _FileBuilder(git_style=True)
            current.git_old, current.git_new = _split_git_names(line[len("diff --git ") :])
            index += 1
        elif _is_file_header(lines, index):
            if current is None or current.hunks or current.has_names:
                finish()
                current = _FileBuilder()
            current.old = _header_name(line[4:])
            current.new = _header_name(lines[index + 1][4:])
            index += 2
        elif line.startswith("@@"):
            current = current or _FileBuilder()
            header = index
            hunk, index = _parse_hunk(lines, index + 1, HUNK_NUMBERS.match(line))
            current.hunks.append(_with_terminators(hunk, carriage, header, index))
        elif current is not None and not current.hunks and _extended_header(current, line):
            index += 1
        elif current is not None and _starts_headless_body(current, line):
            header = index - 1
            hunk, index = _parse_hunk(lines, index, None)  # a body with its "@@" line missing
            current.hunks.append(_with_terminators(hunk, carriage, header, index))
        else:
            index += 1
    finish()
    return tuple(edits)


def _with_terminators(hunk: Hunk, carriage: list[int], header: int, end: int) -> Hunk:
    """Mark hunks whose body lines end in more CRs than their header (CRLF content seen through
    a diff, as git shows it), unlike a diff whose every line went through CRLF."""
    if any(count > carriage[header] for count in carriage[header + 1 : end]):
        return replace(hunk, crlf=True)
    return hunk


def _starts_headless_body(current: _FileBuilder, line: str) -> bool:
    return current.has_names and not current.hunks and line[:1] in ("-", "+", " ")


def _extended_header(builder: _FileBuilder, line: str) -> bool:
    if line.startswith("new file mode"):
        builder.created = True
    elif line.startswith(("copy from ", "copy to ")):
        builder.unsupported = "copying a file is not supported; create it with its full content"
    elif line.startswith("deleted file mode"):
        builder.deleted = True
    elif line.startswith("rename from "):
        builder.rename_from = _unquote(line[len("rename from ") :])
    elif line.startswith("rename to "):
        builder.rename_to = _unquote(line[len("rename to ") :])
    elif line.startswith(("GIT binary patch", "Binary files ")):
        builder.unsupported = "binary patches are not supported"
    elif not line.startswith(
        ("index ", "similarity index", "dissimilarity index", "old mode", "new mode")
    ):
        return False
    return True


def _parse_hunk(lines: list[str], start: int, numbers: re.Match[str] | None) -> tuple[Hunk, int]:
    if numbers is not None:
        old_start, new_start = int(numbers[1]), int(numbers[3])
        old_count = int(numbers[2]) if numbers[2] is not None else 1
        new_count = int(numbers[4]) if numbers[4] is not None else 1
        counted = _read_counted(lines, start, old_count, new_count)
        body, end = counted if counted is not None else _read_tolerant(lines, start)
        return _make_hunk(body, (old_start, old_count, new_start, new_count)), end
    body, end = _read_tolerant(lines, start)
    return _make_hunk(body, None), end


_Body = list[tuple[str, str]]  # (op, text); op "" is an empty line, "\\" a marker


def _read_counted(
    lines: list[str], index: int, old_need: int, new_need: int
) -> tuple[_Body, int] | None:
    """The body as delimited by the header's counts, or None when the counts do not fit."""
    body: _Body = []
    old_seen = new_seen = 0
    while old_seen < old_need or new_seen < new_need:
        if index >= len(lines):
            return None
        line = lines[index]
        op = line[:1]
        if op == "\\" and body:
            body.append(("\\", ""))
        elif op in ("", " ", "-", "+"):
            old_seen += op != "+"
            new_seen += op != "-"
            body.append((op, line[1:]))
        else:
            return None
        index += 1
    if old_seen != old_need or new_seen != new_need:
        return None
    while index < len(lines) and lines[index].startswith("\\"):
        body.append(("\\", ""))
        index += 1
    following = lines[index] if index < len(lines) else ""
    if following[:1] in (" ", "-", "+") and not _is_file_header(lines, index):
        return None  # more body lines: the counts were too small
    return _drop_trailing_bare_blanks(body), index


def _read_tolerant(lines: list[str], index: int) -> tuple[_Body, int]:
    """The body up to the next header or non-diff line."""
    body: _Body = []
    while index < len(lines):
        line = lines[index]
        if line.startswith(("@@", "diff --git ")) or _is_file_header(lines, index):
            break
        if line[:1] not in ("", " ", "-", "+", "\\"):
            break
        body.append((line[:1], "" if line[:1] == "\\" else line[1:]))
        index += 1
    trimmed = _drop_trailing_bare_blanks(body)
    return trimmed, index - (len(body) - len(trimmed))


def _drop_trailing_bare_blanks(body: _Body) -> _Body:
    """Empty lines ending a hunk may be blank context that lost its space, or the blank line
    before the prose that follows: drop them (less context is never wrong, only less certain)."""
    end = len(body)
    while end and body[end - 1][0] == "":
        end -= 1
    return body[:end]


def _make_hunk(body: _Body, numbers: tuple[int, int, int, int] | None) -> Hunk:
    hunk_lines: list[HunkLine] = []
    old_no_newline = new_no_newline = False
    for op, text in body:
        if op == "\\":
            if hunk_lines:
                previous: Op = hunk_lines[-1].op
                old_no_newline = old_no_newline or previous != "+"
                new_no_newline = new_no_newline or previous != "-"
            continue
        line_op: Op = "-" if op == "-" else "+" if op == "+" else " "
        hunk_lines.append(HunkLine(line_op, text))
    old_start, old_count, new_start, new_count = numbers or (None, None, None, None)
    return Hunk(
        tuple(hunk_lines),
        old_start,
        old_count,
        new_start,
        new_count,
        old_no_newline,
        new_no_newline,
    )


def _is_file_header(lines: list[str], index: int) -> bool:
    return (
        lines[index].startswith("--- ")
        and index + 1 < len(lines)
        and lines[index + 1].startswith("+++ ")
    )


def _header_name(raw: str) -> str:
    name = raw.split("\t", 1)[0].strip()
    return _unquote(name)


def _split_git_names(rest: str) -> tuple[str | None, str | None]:
    rest = rest.strip()
    if rest.startswith('"'):
        quoted = re.match(r'^("(?:[^"\\]|\\.)*")\s+(.*)$', rest)
        if quoted:
            return _unquote(quoted[1]), _unquote(quoted[2])
    half = (len(rest) - 1) // 2
    if (
        rest.startswith("a/")
        and rest[half : half + 3] == " b/"
        and rest[2:half] == rest[half + 3 :]
    ):
        return rest[:half], rest[half + 1 :]  # same name on both sides, spaces allowed
    if " b/" in rest:
        old, new = rest.split(" b/", 1)
        return old, "b/" + new
    parts = rest.split()
    return (parts[0], parts[-1]) if len(parts) >= 2 else (None, None)


def _unquote(name: str) -> str:
    """Undo git's C-style quoting of unusual file names (octal escapes are UTF-8 bytes)."""
    if len(name) < 2 or not (name.startswith('"') and name.endswith('"')):
        return name
    raw = bytearray()
    position = 1
    for match in _OCTAL_OR_CHAR.finditer(name, 1, len(name) - 1):
        raw += name[position : match.start()].encode()
        escaped = match[1]
        if len(escaped) == 3:
            raw.append(int(escaped, 8))
        else:
            raw += _C_ESCAPES.get(escaped, escaped).encode()
        position = match.end()
    raw += name[position:-1].encode()
    return raw.decode("utf-8", errors="replace")


def _both_prefixed(old: str | None, new: str | None) -> bool:
    old_ok = old in (None, DEV_NULL) or (old is not None and old.startswith("a/"))
    new_ok = new in (None, DEV_NULL) or (new is not None and new.startswith("b/"))
    return old_ok and new_ok and (old, new) != (DEV_NULL, DEV_NULL)


def _strip_prefix(path: str, prefix: str, strip: bool) -> str:
    path = path.removeprefix(prefix) if strip else path
    return path.removeprefix("./")
