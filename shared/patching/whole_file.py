"""Parser for whole-file replacements: each fenced block is a file's complete new content.

The path comes from the block's info string (```` ```python src/app.py ````,
```` ```src/app.py ````, ``path=src/app.py``) or from the last prose line before the block
(``**src/app.py**``, ``File: src/app.py``). Blocks without a path are ignored: they are usually
examples in the prose.
"""

from __future__ import annotations

from shared.patching.extract import FencedBlock, fenced_blocks, last_path_before, path_in_line
from shared.patching.model import EditKind, FileEdit


def parse_whole_files(text: str) -> tuple[FileEdit, ...]:
    edits: list[FileEdit] = []
    for block in fenced_blocks(text):
        path = block_path(block)
        if path is not None:
            edits.append(
                FileEdit(EditKind.MODIFY, path, path, replacement=block.body, check_elision=True)
            )
    return tuple(edits)


def block_path(block: FencedBlock) -> str | None:
    for word in reversed(block.info.split()):
        candidate = path_in_line(word.removeprefix("path=").removeprefix("file="))
        if candidate is not None and ("/" in candidate or "." in candidate):
            return candidate
    return last_path_before(block.before)
