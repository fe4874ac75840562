"""A read-only copy of the repository at the task's commit, for applying and checking patches.

Built from the ``RepositoryReader`` (so it works for every SCM), once per commit, under the data
dir; a later attempt of the same task (or an activity re-run) reuses it. Writing goes to a
temporary directory that is renamed into place, so a crash never leaves a half-built copy.
Binary and oversized files are left out (the patch flow never edits them); so are repositories
larger than the limits, for which checks are skipped with a reason.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from shared.domain.scm import RepositoryTree
from shared.ports.scm import RepositoryReader

MAX_FILES = 5_000
MAX_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class Workspace:
    root: Path | None
    skipped_reason: str | None = None

    def text(self, path: str) -> str | None:
        if self.root is None:
            return None
        target = self.root / path
        return target.read_text(encoding="utf-8") if target.is_file() else None


def materialize(
    reader: RepositoryReader, tenant: str, tree: RepositoryTree, base_dir: Path
) -> Workspace:
    """The copy of ``tree`` (at ``tree.commit_sha``) under ``base_dir``; built if absent."""
    files = [e for e in tree.entries if e.skipped is None]
    size = sum(e.size or 0 for e in files)
    if len(files) > MAX_FILES or size > MAX_BYTES or tree.truncated:
        return Workspace(None, f"repository too large to check out ({len(files)} files)")
    target = base_dir / tenant / tree.commit_sha
    if target.is_dir():
        return Workspace(target)
    base_dir.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=".build-", dir=base_dir))
    try:
        for entry in files:
            content = reader.read_file(tenant, tree.commit_sha, entry.path)
            if content.text is None:
                continue
            path = building / entry.path
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content.text.encode("utf-8"))
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.rename(building, target)
        except OSError:
            if not target.is_dir():  # not a concurrent build of the same commit
                raise
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return Workspace(target)
