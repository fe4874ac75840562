"""Spotting elision in replacement text: lines that stand for code the model left out.

Whole-file and search/replace answers replace text wholesale, so a placeholder such as
``# ... rest unchanged`` or a lone ``...`` would silently delete the code it stands for. Only
lines the replacement adds are judged (a comment the original already had is the file's own), and
a lone ellipsis wherever it takes the place of original lines or stands anywhere but as the
body of the block opened just above it or in doctest output: a new stub body (``def f(): ...`` on
two lines) is code, not elision.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from difflib import SequenceMatcher

_COMMENT = re.compile(r"^(?:#+|//+|/\*+|<!--|--|;+|%+|\*+)\s*(.*?)\s*(?:\*+/|-->)?$")
_ELLIPSIS = re.compile(r"\.{3,}|…")
_LONE_ELLIPSIS = re.compile(r"^[\[(]?(?:\.{3,}|…)[\])]?$")
_MARKER_WORDS = re.compile(
    r"\b(?:rest|remainder|remaining|existing|unchanged|same|omitted|elided|previous|original|"
    r"other|etc|more|code|here|lines?|methods?|functions?|implementation)\b"
)
#: Beside an ellipsis, a placeholder says little (``# ... existing code ...``); a longer comment
#: is prose that happens to hold one (``# the ...Awareness call below``).
_MAX_MARKER_WORDS = 5
_PHRASES = (
    re.compile(r"\b(?:rest|remainder) of (?:the )?(?:file|code|class|module|function|method|body)"),
    re.compile(r"\b(?:omitted|elided|truncated|skipped) for brevity\b|\bfor brevity\b"),
    re.compile(r"\b(?:remains?|stays?|is|are|left) (?:unchanged|the same|as (?:is|before))\b"),
    re.compile(r"\bsame as (?:before|above|original|the original)\b"),
    re.compile(
        r"^(?:the )?(?:existing|remaining|previous|original|other|unchanged|old)\s+"
        r"(?:code|methods|functions|imports|lines|implementation|content|logic)\b"
    ),
    re.compile(r"^(?:unchanged|no changes?|(?:code|lines?|content) (?:omitted|unchanged))$"),
)


def elided_line(old: Sequence[str], new: Sequence[str]) -> tuple[int, str] | None:
    """The first line of ``new`` (1-based number, text) that stands for elided code, if any."""
    if not any(_LONE_ELLIPSIS.match(line.strip()) or is_marker(line.strip()) for line in new):
        return None  # the usual case, without aligning the two sides
    matcher = SequenceMatcher(None, list(old), list(new), autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        for number in range(j1, j2):
            text = new[number].strip()
            lone = _LONE_ELLIPSIS.match(text) is not None
            if lone and (i2 > i1 or not _block_body(new, number, old)):
                return number + 1, new[number]
            if not lone and is_marker(text):
                return number + 1, new[number]
    return None


def _block_body(lines: Sequence[str], number: int, old: Sequence[str]) -> bool:
    """Whether line ``number`` is the body of a new block the previous non-blank line opens
    (``def f():`` then an indented ``...``), or doctest output (after ``>>>`` or a traceback's
    first line): an ellipsis there is code, not elision. A block the original had with a real
    body (``class A(B):`` over code) is not new: an ellipsis there stands for that body."""
    line = lines[number]
    for previous in reversed(lines[:number]):
        if previous.strip():
            if previous.lstrip().startswith((">>>", "Traceback (most recent call last)")):
                return True
            indent = len(line) - len(line.lstrip())
            opener_indent = len(previous) - len(previous.lstrip())
            opens = previous.rstrip().endswith(":") and indent > opener_indent
            return opens and not _had_body(previous, old)
    return False


def _had_body(opener: str, old: Sequence[str]) -> bool:
    """Whether ``old`` opens the block ``opener`` names (its text up to ``(`` or ``:``) with a
    body other than a lone ellipsis."""
    key = opener.strip().split("(", 1)[0].split(":", 1)[0].strip()
    for index, line in enumerate(old):
        text = line.strip()
        if text.startswith(key) and text[len(key) : len(key) + 1] in "(: " and text.endswith(":"):
            body = next((x.strip() for x in old[index + 1 :] if x.strip()), "")
            if body and not _LONE_ELLIPSIS.match(body):
                return True
    return False


def is_marker(text: str) -> bool:
    """Whether a stripped line is a comment standing for left-out code."""
    comment = _COMMENT.match(text)
    if comment is None:
        return False
    body = comment[1].lower()
    if _ELLIPSIS.search(body):
        rest = _ELLIPSIS.sub(" ", body).strip(" .,:;()[]-")
        return not rest or (
            len(rest.split()) <= _MAX_MARKER_WORDS and _MARKER_WORDS.search(rest) is not None
        )
    words = body.strip(" .,:;()[]-")
    return len(words.split()) <= 10 and any(phrase.search(words) for phrase in _PHRASES)
