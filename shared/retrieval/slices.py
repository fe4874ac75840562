"""Packing context as symbol slices: the ranked chunks themselves, shown in place.

Each slice is a chunk's lines under its enclosing signatures (the ``class`` line above a method,
with ``...`` for what is left out), headed by its path and line range so that the model can tell
a slice from a whole file. Slices are taken best first while they fit the token budget (one that
does not fit is skipped, a smaller one may still), then grouped per file in line order. Each
records why it was chosen, for lineage.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from shared.retrieval.index import Hit, RepoIndex

MAX_SLICE_LINES = 150


def estimate_tokens(text: str) -> int:
    """A conservative token estimate (about four characters a token)."""
    return len(text) // 4 + 1


@dataclass(frozen=True)
class Slice:
    path: str
    start: int
    end: int
    symbol: str
    text: str
    tokens: int
    why: tuple[str, ...]

    def lineage(self) -> dict[str, object]:
        return {"lines": f"{self.start}-{self.end}", "symbol": self.symbol,
                "tokens": self.tokens, "why": list(self.why)}  # fmt: skip


def render(index: RepoIndex, hit: Hit) -> Slice | None:
    chunk = index.chunk(hit.id)
    if chunk is None:
        return None
    lines = chunk.text.splitlines()
    end = chunk.start + min(len(lines), MAX_SLICE_LINES) - 1
    body = lines[:MAX_SLICE_LINES] + (["    ..."] if len(lines) > MAX_SLICE_LINES else [])
    indent = "\n".join(f"{sig}\n    ..." for sig in chunk.context)
    head = f"# {chunk.path} lines {chunk.start}-{end}" + (
        f" ({chunk.kind} {chunk.name})" if chunk.name else ""
    )
    text = "\n".join(filter(None, [head, indent, *body]))
    return Slice(chunk.path, chunk.start, end, chunk.name, text, estimate_tokens(text), hit.why)


def pack(index: RepoIndex, hits: Sequence[Hit], budget_tokens: int) -> dict[str, list[Slice]]:
    """The best slices that fit ``budget_tokens``, per file in line order (files in the order
    of their best slice)."""
    chosen: dict[str, list[Slice]] = defaultdict(list)
    used = 0
    for hit in hits:
        piece = render(index, hit)
        if piece is None or used + piece.tokens > budget_tokens:
            continue
        chosen[piece.path].append(piece)
        used += piece.tokens
    return {path: sorted(pieces, key=lambda s: s.start) for path, pieces in chosen.items()}
