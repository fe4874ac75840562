"""Hunks of one file computed from its two blobs, for an SCM that serves no diff of it (Azure
DevOps never does; GitLab collapses a large file's diff or withholds a too-large one).

The blobs are read by the caller within ``ReadLimits``; this only diffs them, with the patch
engine's git-style ``render_file_diff``, so every adapter's hunks are numbered alike.
"""

from __future__ import annotations

from shared.domain.scm import FileContent
from shared.patching.render import render_file_diff


def blob_hunks(
    old_path: str, new_path: str, old: FileContent | None, new: FileContent | None
) -> str:
    """The unified hunks (``@@`` lines and bodies, no header) from ``old`` to ``new`` (``None``:
    the file was added or deleted), or ``""`` when a side was skipped (binary, not UTF-8, over
    the size limit): such a file takes no inline comment."""
    if (old is not None and old.text is None) or (new is not None and new.text is None):
        return ""
    text = render_file_diff(
        old_path if old else None,
        new_path if new else None,
        old.text if old else None,
        new.text if new else None,
    )
    start = text.find("\n@@ ")
    return text[start + 1 :] if start >= 0 else ""
