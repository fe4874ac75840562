"""Files that are on disk before the call returns, for the local adapters that keep state in
files (secrets, tenant keys, artifacts): a crash never leaves a torn file behind a name."""

from __future__ import annotations

import os
from pathlib import Path


def write_new(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Create ``path`` (it must not exist: ``FileExistsError``) holding ``data``, flushed and
    fsynced. Callers write a temporary name this way, then link or rename it into place and
    :func:`fsync_dir` its directory."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())


def fsync_dir(directory: Path) -> None:
    """Make a rename, link or unlink in ``directory`` durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
