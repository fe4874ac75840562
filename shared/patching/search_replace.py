"""Parser for search/replace blocks (the format aider popularised).

    path/to/file.py
    <<<<<<< SEARCH
    lines copied from the file
    =======
    the lines to put instead
    >>>>>>> REPLACE

The path is the last prose line before the block (fences skipped); a block without one reuses the
previous block's path, and the first block without any path names no file (the engine then looks
for the one file where it fits). Marker lengths of 5 to 9 characters are accepted. Each block
becomes a hunk without line numbers whose unchanged lines are context, so that placement keeps the
file's own text for them.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher

from shared.patching.extract import path_in_line
from shared.patching.model import EditKind, FileEdit, Hunk, HunkLine

_SEARCH = re.compile(r"^\s*<{5,9}\s*SEARCH\b.*$")
_DIVIDER = re.compile(r"^\s*={5,9}\s*$")
_REPLACE = re.compile(r"^\s*>{5,9}\s*REPLACE\b.*$")
_FENCE = re.compile(r"^\s*(?:`{3,}|~{3,})")


def is_search_marker(line: str) -> bool:
    return _SEARCH.match(line) is not None


def is_replace_marker(line: str) -> bool:
    return _REPLACE.match(line) is not None


def has_search_replace_blocks(text: str) -> bool:
    lines = text.split("\n")
    return any(_SEARCH.match(line) for line in lines) and any(
        _REPLACE.match(line) for line in lines
    )


def parse_search_replace(text: str) -> tuple[FileEdit, ...]:
    """One edit per named file (blocks in order), one per block that names no file."""
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    by_path: dict[str, list[Hunk]] = {}
    unnamed: list[Hunk] = []
    path: str | None = None
    prose_path: str | None = None
    index = 0
    while index < len(lines):
        line = lines[index]
        if not _SEARCH.match(line):
            if line.strip() and not _FENCE.match(line) and not _REPLACE.match(line):
                prose_path = path_in_line(line)
                path = prose_path or path
            index += 1
            continue
        block = _read_block(lines, index + 1)
        if block is None:
            break  # an unterminated block: an answer cut short (``truncation`` refuses those)
        search, replace, index = block
        if path is None:
            unnamed.append(block_hunk(search, replace))
        else:
            by_path.setdefault(path, []).append(block_hunk(search, replace))
    named = (
        FileEdit(EditKind.MODIFY, p, p, tuple(hunks), check_elision=True)
        for p, hunks in by_path.items()
    )
    anonymous = (
        FileEdit(EditKind.MODIFY, None, None, (hunk,), check_elision=True) for hunk in unnamed
    )
    return (*named, *anonymous)


def _read_block(lines: list[str], start: int) -> tuple[list[str], list[str], int] | None:
    end = next((i for i in range(start, len(lines)) if _REPLACE.match(lines[i])), None)
    if end is None:
        return None
    dividers = [i for i in range(start, end) if _DIVIDER.match(lines[i])]
    if not dividers:
        return None
    # Text may itself hold "=====" lines (reST titles): prefer the canonical seven-character one.
    exact = [i for i in dividers if lines[i].strip() == "======="]
    divider = (exact or dividers)[0]
    return lines[start:divider], lines[divider + 1 : end], end + 1


def block_hunk(search: list[str], replace: list[str]) -> Hunk:
    """A hunk without numbers: lines common to both sides are context, the rest change."""
    matcher = SequenceMatcher(None, search, replace, autojunk=False)
    hunk_lines: list[HunkLine] = []
    for tag, s1, s2, r1, r2 in matcher.get_opcodes():
        if tag == "equal":
            hunk_lines.extend(HunkLine(" ", text) for text in search[s1:s2])
            continue
        hunk_lines.extend(HunkLine("-", text) for text in search[s1:s2])
        hunk_lines.extend(HunkLine("+", text) for text in replace[r1:r2])
    return Hunk(tuple(hunk_lines))
