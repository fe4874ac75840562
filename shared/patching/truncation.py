"""Spotting answers cut short by the model's output limit, from the text alone.

The provider's finish reason is the sure sign (the LLM hub acts on it); this is the check for
text without one (the command line, a reason lost on the way). An answer is cut short when its
edit stops inside a code fence that was never closed, inside a search/replace block that was
never ended, or, for a diff outside fences, in the middle of a line of a hunk whose header
promised more lines. A hunk whose counts are wrong but whose text ends with its line is not cut
short: models miscount often, and such diffs are applied.
"""

from __future__ import annotations

from shared.patching.extract import fenced_blocks
from shared.patching.search_replace import is_replace_marker, is_search_marker
from shared.patching.udiff import HUNK_NUMBERS, has_diff_marker
from shared.patching.whole_file import block_path


def cut_short(text: str, fmt: str) -> str | None:
    """Why the answer (in edit format ``fmt``: udiff, search-replace, whole) looks cut short by
    an output limit, or None."""
    if fmt == "udiff":
        blocks = [b for b in fenced_blocks(text, indented=False) if has_diff_marker(b.body)]
        if any(not block.closed for block in blocks):
            return "it stops inside a code fence that was never closed"
        if not blocks and _stops_mid_hunk(text):
            return "it stops in the middle of a line of a hunk that promised more lines"
    elif fmt == "search-replace":
        open_block = False
        for line in text.split("\n"):
            if is_search_marker(line):
                open_block = True
            elif is_replace_marker(line):
                open_block = False
        if open_block:
            return "its last SEARCH/REPLACE block has no >>>>>>> REPLACE line"
    elif any(not block.closed and block_path(block) for block in fenced_blocks(text)):
        return "it stops inside a file's code fence that was never closed"
    return None


def _stops_mid_hunk(text: str) -> bool:
    lines = text.split("\n")
    if len(lines) < 2 or not lines[-1] or lines[-1][:1] not in (" ", "-", "+"):
        return False  # the text ends with its line (or outside a hunk body)
    for index in range(len(lines) - 2, -1, -1):
        line = lines[index].rstrip("\r")
        if line.startswith("@@"):
            numbers = HUNK_NUMBERS.match(line)
            if numbers is None:
                return False  # no counts to tell a cut-short hunk from a complete one
            body = [x.rstrip("\r")[:1] for x in lines[index + 1 :]]
            old_need = int(numbers[2]) if numbers[2] is not None else 1
            new_need = int(numbers[4]) if numbers[4] is not None else 1
            old_seen = sum(1 for op in body if op in ("", " ", "-"))
            new_seen = sum(1 for op in body if op in ("", " ", "+"))
            return old_seen < old_need or new_seen < new_need
        if line[:1] not in ("", " ", "-", "+", "\\"):
            return False
    return False
