"""Finding the edit inside a chat answer: fenced code blocks and the prose around them."""

from __future__ import annotations

import re
from dataclasses import dataclass

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})\s*(.*?)\s*$")
_UNINDENTED_FENCE = re.compile(r"^(`{3,}|~{3,})\s*(.*?)\s*$")
_PATH_TOKEN = re.compile(r"[\w.\-/\\]+\.[\w]+|[\w.\-]+/[\w.\-/]+|[A-Z][\w.\-]*file\b|\.[\w.\-]+")
_QUOTED = re.compile(r"(?:`|\*\*)([^`*\s]+)(?:`|\*\*)")
_PATH_LABEL = re.compile(r"^(?:#+\s*)?(?:(?:new\s+)?file(?:name)?|path)\s*:\s*", re.IGNORECASE)


@dataclass(frozen=True)
class FencedBlock:
    """A fenced block: its info string, its body (lines joined with newlines, with a final one
    when not empty), the prose since the previous block, and whether a closing fence was seen.
    """

    info: str
    body: str
    before: str
    closed: bool


def fenced_blocks(text: str, *, indented: bool = True) -> list[FencedBlock]:
    """All top-level fenced blocks, in order.

    Markdown lets a fence be indented by up to 3 spaces; diffs are read with ``indented=False``,
    since a context line `` ```` `` (a fence of the file, after the context space) is no fence.

    LLMs nest fences (a Markdown file inside a block): inside a block, a fence with an info string
    opens a nested level and a bare fence closes the innermost one. An unclosed block runs to the
    end of the text (answers cut short by a token limit).
    """
    lines = text.split("\n")  # CRs stay: a CRLF file's lines may carry them
    if lines[-1] == "":
        lines.pop()  # the piece after a final newline is not a line
    fence_pattern = _FENCE if indented else _UNINDENTED_FENCE
    blocks: list[FencedBlock] = []
    prose: list[str] = []
    index = 0
    while index < len(lines):
        opening = fence_pattern.match(lines[index].rstrip("\r"))
        if opening is None:
            prose.append(lines[index])
            index += 1
            continue
        fence, info = opening[1], opening[2]
        body: list[str] = []
        depth = 0
        closed = False
        index += 1
        while index < len(lines):
            inner = fence_pattern.match(lines[index].rstrip("\r"))
            if inner and inner[1][0] == fence[0] and len(inner[1]) >= len(fence):
                if inner[2]:
                    depth += 1
                elif depth:
                    depth -= 1
                else:
                    closed = True
                    index += 1
                    break
            body.append(lines[index])
            index += 1
        text_body = "\n".join(body) + "\n" if body else ""
        blocks.append(FencedBlock(info, text_body, "\n".join(prose), closed))
        prose = []
    return blocks


def path_in_line(line: str) -> str | None:
    """The file path a line of prose names, if any: the whole line (``**src/app.py**``,
    ``File: app.py:``), or the one quoted path of a sentence introducing a block
    (``Here is the updated `src/app.py`:``)."""
    whole = _as_path(_PATH_LABEL.sub("", line.strip().strip("#").strip()))
    if whole is not None or not line.rstrip().endswith(":"):
        return whole
    quoted = {path for token in _QUOTED.findall(line) if (path := _as_path(token)) is not None}
    return quoted.pop() if len(quoted) == 1 else None


def _as_path(text: str) -> str | None:
    cleaned = text.strip("*`'\" :")
    while len(cleaned) > 2 and cleaned[0] == cleaned[-1] == "_":
        cleaned = cleaned[1:-1].strip("*`'\" :")  # _emphasis_, never a name's own underscores
    if 0 < len(cleaned) <= 255 and " " not in cleaned and _PATH_TOKEN.fullmatch(cleaned):
        return cleaned.replace("\\", "/").removeprefix("./")
    return None


def last_path_before(prose: str) -> str | None:
    """The path named by the last non-blank line of ``prose``, if it names one."""
    for line in reversed(prose.split("\n")):
        if line.strip():
            return path_in_line(line)
    return None
