"""Placing one hunk in a file: with certainty, or not at all.

Guarantee: a hunk is placed only where its old side (context and removed lines) fits one place of
the file and no other, in this order:

1. *Compatible* windows: every line equal once whitespace is normalised (a trailing context line
   ending in ``...`` may be cut short). One window: placed there. Several: placed only
   when the hunk header is trusted (see ``FileEdit.header_trusted``) and the window it names
   matches exactly, as ``git apply`` would; otherwise refused as ambiguous.
2. *Fuzzy* windows, only when no window is compatible: the best window must be at least
   ``FUZZY_MIN_SIMILARITY`` similar, share at least half of its non-blank lines with the hunk,
   beat the runner-up by ``FUZZY_MARGIN``, and every removed line must equal the line it removes
   but for whitespace (an edit computed from other text must not delete this one). Context lines
   always keep the file's own text.

A hunk without old lines (a pure insertion without context) is placed only in an empty file or at
the line a trusted header names.
"""

from __future__ import annotations

import difflib
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import lru_cache

from shared.patching.lines import normalise_whitespace
from shared.patching.model import Candidate, FailureReason, Hunk

FUZZY_MIN_SIMILARITY = 0.8
FUZZY_MARGIN = 0.1
MAX_SCORED_WINDOWS = 32
MAX_CANDIDATES_SHOWN = 3
_ELLIPSES = ("...", "…")


class FileIndex:
    """A file's lines with their whitespace-normalised forms and where each form occurs."""

    def __init__(self, lines: tuple[str, ...]) -> None:
        self.lines = lines
        self.norm = tuple(normalise_whitespace(line) for line in lines)
        positions: defaultdict[str, list[int]] = defaultdict(list)
        for position, text in enumerate(self.norm):
            positions[text].append(position)
        self.positions = dict(positions)

    def candidate(self, start: int, length: int, similarity: float) -> Candidate:
        shown = self.lines[start : start + max(length, 1)]
        return Candidate(start + 1, shown, round(similarity, 3))


@dataclass(frozen=True)
class Placement:
    """Where a hunk's first old line goes (0-based) and how it was found."""

    start: int
    method: str
    similarity: float = 1.0


@dataclass(frozen=True)
class NotPlaced:
    reason: FailureReason
    message: str
    candidates: tuple[Candidate, ...] = ()


@dataclass(frozen=True)
class _Block:
    """A hunk's old side prepared for matching."""

    exact: tuple[str, ...]
    norm: tuple[str, ...]
    removed: tuple[bool, ...]
    truncatable_last: bool

    @classmethod
    def of(cls, hunk: Hunk) -> _Block:
        old = [line for line in hunk.lines if line.op != "+"]
        norm = [normalise_whitespace(line.text) for line in old]
        # A last context line that ends in an ellipsis was cut short: it matches any line it
        # begins (an empty remainder matches any line).
        truncatable = bool(old) and hunk.lines[-1].op == " " and norm[-1].endswith(_ELLIPSES)
        if truncatable:
            norm[-1] = norm[-1].rstrip(".…").rstrip()
        return cls(
            tuple(line.text for line in old),
            tuple(norm),
            tuple(line.op == "-" for line in old),
            truncatable,
        )

    def line_fits(self, j: int, file_norm: str) -> bool:
        text = self.norm[j]
        if text == file_norm:
            return True
        return self.truncatable_last and j == len(self.norm) - 1 and file_norm.startswith(text)

    def line_similarity(self, j: int, file_norm: str, *, bound: bool = False) -> float:
        """Similarity in [0, 1]; with ``bound``, a cheap upper bound of it."""
        if self.line_fits(j, file_norm):
            return 1.0
        matcher = difflib.SequenceMatcher(None, self.norm[j], file_norm, autojunk=False)
        return matcher.quick_ratio() if bound else _ratio(self.norm[j], file_norm)


@lru_cache(maxsize=65536)
def _ratio(first: str, second: str) -> float:
    return difflib.SequenceMatcher(None, first, second, autojunk=False).ratio()


def locate(hunk: Hunk, index: FileIndex, *, trusted: bool) -> Placement | NotPlaced:
    """Where ``hunk`` goes in the file, or why it cannot be placed with certainty."""
    block = _Block.of(hunk)
    size = len(block.exact)
    if size == 0:
        return _locate_insertion(hunk, index, trusted=trusted)
    windows = _compatible_windows(block, index)
    if len(windows) == 1:
        start = windows[0]
        exact = index.lines[start : start + size] == block.exact
        return Placement(start, "exact" if exact else "whitespace")
    if windows:
        hint = hunk.old_index
        if trusted and hint in windows and index.lines[hint : hint + size] == block.exact:
            return Placement(hint, "hinted")
        shown = tuple(index.candidate(s, size, 1.0) for s in windows[:MAX_CANDIDATES_SHOWN])
        lines = ", ".join(str(s + 1) for s in windows[:10])
        return NotPlaced(
            FailureReason.AMBIGUOUS,
            f"its context and removed lines match {len(windows)} places (starting at lines "
            f"{lines}); add context lines that occur only at the intended place",
            shown,
        )
    return _locate_fuzzy(block, index)


def _locate_insertion(hunk: Hunk, index: FileIndex, *, trusted: bool) -> Placement | NotPlaced:
    if not index.lines:
        return Placement(0, "insertion")
    hint = hunk.old_index
    if trusted and hint is not None and 0 <= hint <= len(index.lines):
        return Placement(hint, "hinted")
    return NotPlaced(
        FailureReason.NO_CONTEXT,
        "it only adds lines and has no context lines to place them by; include the lines "
        "around the insertion point, copied from the file",
    )


def _compatible_windows(block: _Block, index: FileIndex) -> list[int]:
    size, total = len(block.norm), len(index.lines)
    anchors = [
        j
        for j, text in enumerate(block.norm)
        if text and not (block.truncatable_last and j == size - 1)
    ]
    if anchors:
        anchor = min(anchors, key=lambda j: len(index.positions.get(block.norm[j], ())))
        starts: list[int] | range = [
            p - anchor
            for p in index.positions.get(block.norm[anchor], ())
            if 0 <= p - anchor <= total - size
        ]
    else:
        starts = range(total - size + 1)
    return [
        start
        for start in starts
        if all(block.line_fits(j, index.norm[start + j]) for j in range(size))
    ]


def _locate_fuzzy(block: _Block, index: FileIndex) -> Placement | NotPlaced:
    size, total = len(block.norm), len(index.lines)
    votes: Counter[int] = Counter()
    for j, text in enumerate(block.norm):
        for position in index.positions.get(text, ()) if text else ():
            if 0 <= position - j <= total - size:
                votes[position - j] += 1
    windows = [start for start, _ in votes.most_common(MAX_SCORED_WINDOWS)]
    if not windows:
        windows = _nearest_windows(block, index)
    scored = _best_windows(block, index, windows)
    not_found = "its context and removed lines do not match the file"
    if not scored:
        return NotPlaced(FailureReason.NOT_FOUND, f"{not_found}, nor anything similar")
    shown = tuple(index.candidate(s, size, score) for score, s in scored[:2])
    best_score, best = scored[0]
    runner_up = scored[1][0] if len(scored) > 1 else 0.0
    non_blank = sum(1 for text in block.norm if text)
    if best_score >= FUZZY_MIN_SIMILARITY and best_score - runner_up < FUZZY_MARGIN:
        return NotPlaced(
            FailureReason.AMBIGUOUS,
            f"{not_found} exactly, and several places are about as similar "
            f"({best_score:.0%} and {runner_up:.0%}); copy the lines exactly from the file",
            shown,
        )
    if best_score < FUZZY_MIN_SIMILARITY:
        return NotPlaced(
            FailureReason.NOT_FOUND,
            f"{not_found}; the most similar lines are only {best_score:.0%} similar",
            shown,
        )
    if votes[best] * 2 < max(non_blank, 1):
        return NotPlaced(
            FailureReason.NOT_FOUND,
            f"{not_found}; fewer than half of its lines match the most similar place exactly",
            shown,
        )
    for j, removed in enumerate(block.removed):
        if removed and block.norm[j] != index.norm[best + j]:
            return NotPlaced(
                FailureReason.NOT_FOUND,
                f"removed line {block.exact[j]!r} differs from line {best + j + 1} of the file "
                f"({index.lines[best + j]!r}); removed lines must be copied exactly",
                shown,
            )
    return Placement(best, "fuzzy", round(best_score, 3))


def _best_windows(block: _Block, index: FileIndex, windows: list[int]) -> list[tuple[float, int]]:
    """(score, start) of the best windows, best first: exactly scored in the order of a cheap
    upper bound, until no remaining window can come within ``FUZZY_MARGIN`` of the best."""
    bounds = sorted((-_score(block, index, s, bound=True), s) for s in windows)
    scored: list[tuple[float, int]] = []
    for negative_bound, start in bounds:
        if len(scored) >= 2 and -negative_bound < max(score for score, _ in scored) - FUZZY_MARGIN:
            break
        scored.append((_score(block, index, start), start))
    return sorted(scored, key=lambda item: (-item[0], item[1]))


def _score(block: _Block, index: FileIndex, start: int, *, bound: bool = False) -> float:
    total_weight = 0.0
    total = 0.0
    for j, text in enumerate(block.norm):
        weight = max(len(text), 1)
        total_weight += weight
        total += weight * block.line_similarity(j, index.norm[start + j], bound=bound)
    return total / total_weight if total_weight else 0.0


def _nearest_windows(block: _Block, index: FileIndex) -> list[int]:
    """Windows around the file line closest to the hunk's first non-blank line (for feedback)."""
    size, total = len(block.norm), len(index.lines)
    for j, text in enumerate(block.norm):
        if not text:
            continue
        close = difflib.get_close_matches(text, index.positions.keys(), n=1, cutoff=0.6)
        if close:
            start = min(max(index.positions[close[0]][0] - j, 0), total - size)
            return [start] if start >= 0 else []
        return []
    return []
