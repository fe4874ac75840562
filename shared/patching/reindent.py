"""Carrying an edit's indentation over to the file's when the edit was re-indented.

LLMs often dedent a whole hunk, or write tabs where the file has spaces (or the reverse), for
the context lines only or for the whole hunk. Once a hunk is placed, the pairs (indent in the
edit, indent in the file) of its matched lines tell how to translate the indentation of its added
lines, by the first of these rules that explains every pair:

0. *Same*: every pair is equal. Added lines are kept as they are, unless the file indents with
   spaces only and every indented added line uses tabs (the diff's own style, which the matched
   lines could not show): those become one file level per tab.
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

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from fractions import Fraction

from shared.patching.lines import leading_whitespace

Reindent = Callable[[str], str | None]
TAB_WIDTHS = range(1, 9)
MIN_INDENTED_LINES = 3
DOMINANT_STEP = 0.75


def identity(line: str) -> str | None:
    return line


@dataclass(frozen=True)
class IndentStyle:
    """A file's indentation when every indented line agrees: ``char`` is what indents start
    with; ``unit`` the columns of one level of a space-indented file (the step, of 2 columns or
    more, of at least ``DOMINANT_STEP`` of its indentation increases), None when unknown."""

    char: str
    unit: int | None = None


def file_style(lines: Iterable[str]) -> IndentStyle | None:
    """The style of a file whose indented lines (at least ``MIN_INDENTED_LINES``) all indent with
    spaces only, or all start their indent with a tab; None for a mixed or barely indented file."""
    starts: set[str] = set()
    chars: set[str] = set()
    steps: Counter[int] = Counter()
    indented = previous = 0
    for line in lines:
        if not line.strip():
            continue
        indent = leading_whitespace(line)
        if indent:
            indented += 1
            starts.add(indent[0])
            chars.update(indent)
        if len(indent) > previous:
            steps[len(indent) - previous] += 1
        previous = len(indent)
    if indented < MIN_INDENTED_LINES or len(starts) != 1:
        return None
    if starts == {"\t"}:
        return IndentStyle("\t")
    if chars != {" "}:
        return None
    unit, count = steps.most_common(1)[0] if steps else (None, 0)
    # A level only when most indentation steps agree (Markdown mixes 2-column list items and
    # 4-column code blocks: no level there).
    dominant = unit is not None and unit >= 2 and count >= DOMINANT_STEP * steps.total()
    return IndentStyle(" ", unit if dominant else None)


def reindenter(
    pairs: list[tuple[str, str]], added: Iterable[str] = (), style: IndentStyle | None = None
) -> Reindent | None:
    """A function re-indenting the ``added`` lines of a hunk whose matched lines gave ``pairs``,
    in a file of ``style``; None when the pairs contradict each other.

    The function returns None for a line whose indentation cannot be derived (an indent level the
    matched lines do not show and no rule explains).
    """
    if all(edit == file for edit, file in pairs):
        return _foreign_style(list(added), style)
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


def _foreign_style(added: list[str], style: IndentStyle | None) -> Reindent | None:
    """When the matched lines show no indentation difference: the added lines as they are, or,
    in a space-indented file whose level is known, converted when every indented one is written
    with tabs (the diff's own style, one tab a level). Added lines mixing both styles in such a
    file, or space-indented lines in a tab-indented file, cannot be mapped with certainty."""
    indents = [leading_whitespace(line) for line in added if line.strip()]
    indents = [indent for indent in indents if indent]
    if style is None or not indents:
        return identity
    if style.char == "\t":
        return identity if all(indent[0] == "\t" for indent in indents) else None
    if all("\t" not in indent for indent in indents):
        return identity
    unit = style.unit
    if unit is None or not all(_tab_style(indent, unit) for indent in indents):
        return None

    def convert(line: str) -> str | None:
        indent = leading_whitespace(line)
        return " " * columns(indent, unit) + line[len(indent) :]

    return convert


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
