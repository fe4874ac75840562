"""Carrying an edit's indentation over to the file's when the edit was re-indented.

LLMs often dedent a whole hunk, or write spaces where the file has tabs. Once a hunk is placed,
the pairs (indent in the edit, indent in the file) of its matched lines tell how to translate the
indentation of its added lines. The translation is used only when it is consistent: a pair that
contradicts another makes the added lines' indentation unknowable, and the hunk is refused rather
than guessed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from fractions import Fraction

from shared.patching.lines import leading_whitespace

Reindent = Callable[[str], str | None]


def identity(line: str) -> str | None:
    return line


def reindenter(pairs: list[tuple[str, str]]) -> Reindent | None:
    """A function re-indenting added lines, or None when the pairs contradict each other.

    The function returns None for a line whose indentation cannot be derived (an indent level the
    matched lines do not show and no linear rule explains).
    """
    if all(edit == file for edit, file in pairs):
        return identity
    mapping: dict[str, str] = {}
    for edit, file in pairs:
        if mapping.setdefault(edit, file) != file:
            return None
    linear = _linear_rule(pairs)

    def translate(line: str) -> str | None:
        if not line.strip():
            return line
        indent = leading_whitespace(line)
        body = line[len(indent) :]
        if indent in mapping:
            return mapping[indent] + body
        new_indent = linear(indent) if linear is not None else None
        return None if new_indent is None else new_indent + body

    return translate


def _linear_rule(pairs: list[tuple[str, str]]) -> Callable[[str], str | None] | None:
    """``file_width = slope * edit_width + offset`` fitted on uniform (all-space or all-tab)
    indents, checked against every pair; None when no single rule explains them."""
    edit_char = _uniform_char(edit for edit, _ in pairs)
    file_char = _uniform_char(file for _, file in pairs)
    if edit_char is None or file_char is None:
        return None
    points = sorted({(len(edit), len(file)) for edit, file in pairs})
    if len({x for x, _ in points}) >= 2:
        (x1, y1), (x2, y2) = points[0], points[-1]
        slope = Fraction(y2 - y1, x2 - x1)
    elif edit_char == file_char or "" in (edit_char, file_char):
        slope = Fraction(1)
    elif points[0][0] > 0:
        slope = Fraction(points[0][1], points[0][0])
    else:
        return None
    offset = points[0][1] - slope * points[0][0]
    if any(slope * x + offset != y for x, y in points):
        return None
    out_char = file_char or edit_char or " "

    def apply(indent: str) -> str | None:
        if indent and indent != (edit_char or indent[0]) * len(indent):
            return None
        width = slope * len(indent) + offset
        if width < 0 or width.denominator != 1:
            return None
        return out_char * int(width)

    return apply


def _uniform_char(indents: Iterable[str]) -> str | None:
    """' ' or '\\t' when every non-empty indent uses only that character, '' when all are empty,
    None when characters are mixed."""
    chars: set[str] = set()
    for indent in indents:
        chars.update(indent)
    if len(chars) > 1:
        return None
    return chars.pop() if chars else ""
