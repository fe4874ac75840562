"""Splitting file text into lines while keeping each line's terminator, and joining it back.

The engine edits line contents only; terminators come from the target file, so a CRLF file stays
CRLF whatever the edit used, and a file without a final newline keeps that state unless the edit
says otherwise with ``\\ No newline at end of file``.
"""

from __future__ import annotations

from dataclasses import dataclass

LF = "\n"
CRLF = "\r\n"


@dataclass(frozen=True)
class TextLines:
    """A text as lines without terminators plus the terminator of each ('' for a last line)."""

    lines: tuple[str, ...]
    endings: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> TextLines:
        lines: list[str] = []
        endings: list[str] = []
        for piece in text.split(LF):
            lines.append(piece)
            endings.append(LF)
        # ``split`` yields a last piece after the final "\n" (empty when the text ends with one).
        last = lines.pop()
        endings.pop()
        if last:
            lines.append(last)
            endings.append("")
        for index, line in enumerate(lines):
            if endings[index] == LF and line.endswith("\r"):
                lines[index] = line[:-1]
                endings[index] = CRLF
        return cls(tuple(lines), tuple(endings))

    @property
    def eol(self) -> str:
        """The dominant terminator, used for added lines (LF for a file with none)."""
        crlf = sum(1 for ending in self.endings if ending == CRLF)
        lf = sum(1 for ending in self.endings if ending == LF)
        return CRLF if crlf > lf else LF

    @property
    def has_terminators(self) -> bool:
        return any(self.endings)

    @property
    def ends_with_newline(self) -> bool:
        return not self.endings or self.endings[-1] != ""


def join_lines(lines: list[str], endings: list[str], *, eol: str, final_newline: bool) -> str:
    """Join lines; every line but the last gets a terminator, the last only if asked."""
    if not lines:
        return ""
    pieces: list[str] = []
    last = len(lines) - 1
    for index, (line, ending) in enumerate(zip(lines, endings, strict=True)):
        if index < last:
            pieces.append(line + (ending or eol))
        else:
            pieces.append(line + ((ending or eol) if final_newline else ""))
    return "".join(pieces)


def normalise_whitespace(line: str) -> str:
    """The line with leading/trailing whitespace dropped and inner runs collapsed to one space."""
    return " ".join(line.split())


def leading_whitespace(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]
