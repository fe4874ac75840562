"""Reading a snapshot from a directory tree and writing an applied edit back, for the CLI.

Reading follows no symlinks and keeps bytes as they are (CRLF included). Writing goes through a
temporary file and a rename per file; if any write fails, every file already replaced is put back
and the created directories removed, so a failed write leaves the tree as it was.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

MAX_FILE_BYTES = 4 * 1024 * 1024


def read_snapshot(root: Path, paths: Iterable[str] | None) -> dict[str, str]:
    """UTF-8 regular files under ``root``: the given relative paths, or all (without ``.git``)."""
    if paths is None:
        candidates = [
            path.relative_to(root).as_posix()
            for path in root.rglob("*")
            if ".git" not in path.relative_to(root).parts
        ]
    else:
        candidates = list(paths)
    snapshot: dict[str, str] = {}
    for relative in candidates:
        text = _read_text(root, relative)
        if text is not None:
            snapshot[relative] = text
    return snapshot


def _read_text(root: Path, relative: str) -> str | None:
    path = root / relative
    try:
        if path.is_symlink() or not path.is_file() or path.stat().st_size > MAX_FILE_BYTES:
            return None
        if not path.resolve().is_relative_to(root.resolve()):
            return None
        return path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError, ValueError):
        return None


def write_files(root: Path, files: Mapping[str, str | None]) -> None:
    """Write every file (``None`` deletes), all or nothing."""
    backups: dict[Path, bytes | None] = {}
    created_dirs: list[Path] = []
    staged: list[tuple[Path, Path]] = []
    replaced: list[Path] = []
    try:
        for relative, text in files.items():
            target = root / relative
            backups[target] = target.read_bytes() if target.is_file() else None
            if text is None:
                continue
            created_dirs.extend(_make_parents(target.parent))
            handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
            staged.append((target, Path(name)))
            with os.fdopen(handle, "wb") as stream:
                stream.write(text.encode("utf-8"))
            if target.is_file():
                shutil.copymode(target, name)
        for target, temporary in staged:
            os.replace(temporary, target)
            replaced.append(target)
        for relative, text in files.items():
            if text is None:
                (root / relative).unlink(missing_ok=True)
                replaced.append(root / relative)
    except OSError:
        _roll_back(backups, staged, replaced, created_dirs)
        raise


def _make_parents(directory: Path) -> list[Path]:
    missing: list[Path] = []
    while not directory.exists():
        missing.append(directory)
        directory = directory.parent
    for path in reversed(missing):
        path.mkdir()
    return missing


def _roll_back(
    backups: Mapping[Path, bytes | None],
    staged: list[tuple[Path, Path]],
    replaced: list[Path],
    created_dirs: list[Path],
) -> None:
    for _, temporary in staged:
        temporary.unlink(missing_ok=True)
    for target in replaced:
        original = backups.get(target)
        if original is None:
            target.unlink(missing_ok=True)
        else:
            target.write_bytes(original)
    for directory in created_dirs:
        try:
            directory.rmdir()
        except OSError:
            continue
