"""Carrying an edit's indentation over to the file's when the edit was re-indented.

LLMs often dedent a whole hunk, or write tabs where the file has spaces (or the reverse), for
the context lines only or for the whole hunk. Once a hunk is placed, the pairs (indent in the
edit, indent in the file) of its matched lines tell how to translate the indentation of its added
lines, by the first of these rules that explains every pair:

1. *Styles*: the edit and the file indent to the same columns once tabs are expanded to a width
   the pairs agree on (tabs for spaces, or spaces for tabs). An added line keeps its column and is
   written in the file's style: a line already in the file's style is kept as it is, a line in the
   diff's style is converted.
2. *Linear*: ``file_width = slope * edit_width + offset`` on uniform (all-space or all-tab)
   indents, as when a hunk was dedented as a whole.

The translation is used only when it is certain: a pair that contradicts another, a file whose
matched lines mix both styles, tab widths that disagree on an added line, or an added line whose
indent no rule explains make the hunk refused rather than guessed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from fractions import Fraction

from shared.patching.lines import leading_whitespace

Reindent = Callable[[str], str | None]
TAB_WIDTHS = range(1, 9)


def identity(line: str) -> str | None:
    return line


def reindenter(pairs: list[tuple[str, str]]) -> Reindent | None:
    """A function re-indenting added lines, or None when the pairs contradict each other.

    The function returns None for a line whose indentation cannot be derived (an indent level the
    matched lines do not show and no rule explains).
    """
    if all(edit == file for edit, file in pairs):
        return identity
    mapping: dict[str, str] = {}
    for edit, file in pairs:
        if mapping.setdefault(edit, file) != file:
            return None
    rule = _style_rule(pairs) or _linear_rule(pairs)

    def translate(line: str) -> str | None:
        if not line.strip():
            return line
        indent = leading_whitespace(line)
        body = line[len(indent) :]
        if indent in mapping:
            return mapping[indent] + body
        new_indent = rule(indent) if rule is not None else None
        return None if new_indent is None else new_indent + body

    return translate


def columns(indent: str, tab_width: int) -> int:
    """The column an indent reaches, tabs advancing to the next multiple of ``tab_width``."""
    column = 0
    for char in indent:
        column = (column // tab_width + 1) * tab_width if char == "\t" else column + 1
    return column


def _style_rule(pairs: list[tuple[str, str]]) -> Callable[[str], str | None] | None:
    """Rule 1 (see the module docstring), or None when the pairs show no tab/space difference
    or no tab width makes every pair reach the same column on both sides."""
    if not any("\t" in edit + file for edit, file in pairs):
        return None
    widths = [
        width
        for width in TAB_WIDTHS
        if all(columns(edit, width) == columns(file, width) for edit, file in pairs)
    ]
    file_indents = [file for _, file in pairs if file]
    if not widths or not file_indents:
        return None
    if all(set(file) == {" "} for file in file_indents):
        tabs = False
    elif all(_tab_style(file, width) for file in file_indents for width in widths):
        tabs = True
    else:
        return None  # the file's matched lines mix both styles: its style is unknowable

    def apply(indent: str) -> str | None:
        written = {_write(columns(indent, width), width, tabs=tabs) for width in widths}
        return written.pop() if len(written) == 1 else None

    return apply


def _tab_style(indent: str, width: int) -> bool:
    """Tabs first, then fewer spaces than a tab (alignment), as tab-indented files write it."""
    spaces = len(indent) - len(indent.rstrip(" "))
    return spaces < width and set(indent[: len(indent) - spaces]) <= {"\t"}


def _write(column: int, width: int, *, tabs: bool) -> str:
    return "\t" * (column // width) + " " * (column % width) if tabs else " " * column


def _linear_rule(pairs: list[tuple[str, str]]) -> Callable[[str], str | None] | None:
    """Rule 2: ``file_width = slope * edit_width + offset`` fitted on uniform (all-space or
    all-tab) indents, checked against every pair; None when no single rule explains them."""
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
