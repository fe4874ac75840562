"""Applying a file's hunks to its text: place every hunk, check they agree, then rebuild.

Hunks are placed independently against the original text, so their order in the edit does not
matter. Two hunks conflict, and the file is refused, when one removes a line the other uses or
inserts inside the other's lines, or both insert at the same point (their order would be a guess).
Hunks that merely share context lines do not conflict. Added lines get the file's dominant line
terminator; the final newline is kept as it was unless a hunk at the end of the file says
otherwise with ``\\ No newline at end of file`` on one side only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from shared.patching.lines import (
    CRLF,
    TextLines,
    join_lines,
    leading_whitespace,
    normalise_whitespace,
)
from shared.patching.locate import FileIndex, NotPlaced, Placement, locate
from shared.patching.model import FailureReason, Hunk, HunkFailure
from shared.patching.reindent import IndentStyle, file_style, reindenter


@dataclass
class _HunkPlan:
    number: int
    start: int
    end: int
    method: str
    kept: set[int] = field(default_factory=set)
    removed: set[int] = field(default_factory=set)
    inserted: dict[int, list[str]] = field(default_factory=dict)
    final_newline: bool | None = None
    crlf: bool = False


@dataclass(frozen=True)
class FileOutcome:
    text: str
    methods: tuple[str, ...]


def apply_hunks(
    path: str, text: str, hunks: list[tuple[Hunk, bool]]
) -> FileOutcome | list[HunkFailure]:
    """``text`` with every hunk applied (each paired with whether its header is trusted)."""
    original = TextLines.parse(text)
    index = FileIndex(original.lines)
    style = file_style(original.lines)
    plans: list[_HunkPlan] = []
    failures: list[HunkFailure] = []
    for number, (hunk, trusted) in enumerate(hunks):
        placed = locate(hunk, index, trusted=trusted)
        plan = (
            _plan(number, hunk, placed, index, style) if isinstance(placed, Placement) else placed
        )
        if isinstance(plan, NotPlaced):
            failures.append(HunkFailure(path, number, plan.reason, plan.message, plan.candidates))
        else:
            plans.append(plan)
    failures.extend(_conflicts(path, plans))
    if failures:
        return failures
    return FileOutcome(_rebuild(original, plans), tuple(plan.method for plan in plans))


def _plan(
    number: int, hunk: Hunk, placement: Placement, index: FileIndex, style: IndentStyle | None
) -> _HunkPlan | NotPlaced:
    old_size = len(hunk.old_lines)
    plan = _HunkPlan(number, placement.start, placement.start + old_size, placement.method)
    plan.crlf = hunk.crlf
    pairs: list[tuple[str, str]] = []
    position = placement.start
    for line in hunk.lines:
        if line.op != "+":
            file_line = index.lines[position]
            # Only lines equal but for whitespace show how the edit's indentation maps to the
            # file's; a cut-short or misremembered line may have lost part of its indent.
            if line.text.strip() and normalise_whitespace(line.text) == index.norm[position]:
                pairs.append((leading_whitespace(line.text), leading_whitespace(file_line)))
            (plan.kept if line.op == " " else plan.removed).add(position)
            position += 1
    added = [line.text for line in hunk.lines if line.op == "+"]
    translate = reindenter(pairs, added, style)
    position = placement.start
    for line in hunk.lines:
        if line.op != "+":
            position += 1
            continue
        text = translate(line.text) if translate is not None else None
        if text is None:
            what = (
                f"added line {line.text!r} cannot be re-indented with certainty"
                if translate is not None
                else "its lines' indentation cannot be mapped to the file's with certainty"
            )
            return NotPlaced(
                FailureReason.INDENTATION,
                f"its indentation differs from the file's and {what}; copy context lines with "
                "their exact indentation and indent added lines as the file does",
                (index.candidate(placement.start, old_size, placement.similarity),),
            )
        plan.inserted.setdefault(position, []).append(text)
    at_end = plan.end == len(index.lines)
    if at_end and hunk.old_no_newline != hunk.new_no_newline:
        plan.final_newline = not hunk.new_no_newline
    return plan


def _conflicts(path: str, plans: list[_HunkPlan]) -> list[HunkFailure]:
    failures: list[HunkFailure] = []
    for i, first in enumerate(plans):
        for second in plans[i + 1 :]:
            if _collide(first, second) or _collide(second, first):
                failures.append(
                    HunkFailure(
                        path,
                        second.number,
                        FailureReason.OVERLAP,
                        f"it overlaps hunk {first.number + 1} (lines {first.start + 1}-"
                        f"{first.end}): both change the same lines; merge them into one hunk",
                    )
                )
    return failures


def _collide(plan: _HunkPlan, other: _HunkPlan) -> bool:
    if plan.removed & (other.kept | other.removed):
        return True
    if any(other.start < point < other.end for point in plan.inserted):
        return True
    return bool(plan.inserted.keys() & other.inserted.keys())


def _rebuild(original: TextLines, plans: list[_HunkPlan]) -> str:
    removed: set[int] = set().union(*(plan.removed for plan in plans))
    inserted: dict[int, list[str]] = {}
    for plan in plans:
        for point, added in plan.inserted.items():
            inserted.setdefault(point, []).extend(added)
    lines: list[str] = []
    endings: list[str] = []
    eol = original.eol
    if not original.has_terminators and any(plan.crlf for plan in plans):
        eol = CRLF
    for position in range(len(original.lines) + 1):
        for text in inserted.get(position, ()):
            lines.append(text)
            endings.append(eol)
        if position < len(original.lines) and position not in removed:
            lines.append(original.lines[position])
            endings.append(original.endings[position])
    final_newline = original.ends_with_newline
    for plan in plans:
        if plan.final_newline is not None:
            final_newline = plan.final_newline
    return join_lines(lines, endings, eol=eol, final_newline=final_newline)
