"""Repository-relative paths: which are safe to write, and glob matching for path policies."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import PurePosixPath


def unsafe_reason(path: str) -> str | None:
    """Why ``path`` may not be written inside a repository, or None when it may.

    Refused: empty names, absolute paths (POSIX, drive letters, UNC), ``..`` components,
    backslashes (a Windows separator that could mean traversal), control characters, and anything
    inside ``.git``.
    """
    if not path or path.strip() != path:
        return "the path is empty or has surrounding whitespace"
    if path.startswith(("/", "~")) or re.match(r"^[A-Za-z]:", path):
        return "absolute paths are not allowed"
    if "\\" in path or any(ord(char) < 32 for char in path):
        return "backslashes and control characters are not allowed in paths"
    parts = path.split("/")
    if any(part in ("", ".", "..") for part in parts):
        return "paths must not contain '..', '.' or empty components"
    if ".git" in parts:
        return "the .git directory may not be changed"
    return None


def matches_glob(path: str, pattern: str) -> bool:
    """gitignore-like matching: a pattern without '/' matches the file name at any depth;
    otherwise it is anchored at the root, '**' spans directories and '*' does not."""
    if "/" not in pattern:
        return _compiled(pattern).fullmatch(PurePosixPath(path).name) is not None
    return _compiled(pattern.lstrip("/")).fullmatch(path) is not None


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    out: list[str] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if pattern.startswith("**/", index):
            out.append("(?:.*/)?")
            index += 3
        elif pattern.startswith("**", index):
            out.append(".*")
            index += 2
        elif char == "*":
            out.append("[^/]*")
            index += 1
        elif char == "?":
            out.append("[^/]")
            index += 1
        elif char == "[" and (close := pattern.find("]", index + 1)) > index + 1:
            body = pattern[index + 1 : close]
            out.append("[" + ("^" + body[1:] if body.startswith("!") else body) + "]")
            index = close + 1
        else:
            out.append(re.escape(char))
            index += 1
    return re.compile("".join(out))
