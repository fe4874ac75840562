"""Reading a snapshot from a directory tree and writing an applied edit back, for the CLI.

Every path is resolved against the root one component at a time through directory descriptors
(``openat``) with ``O_NOFOLLOW``: a symlink anywhere on the way, in the tree or out of it, is
never followed, so nothing outside the root is read or written whatever the tree holds and
whether or not the edit was validated. Reading keeps bytes as they are (CRLF included). Writing
goes through a temporary file and a rename per file; if any write fails, every file already
replaced is put back and the created directories removed, so a failed write leaves the tree as
it was. A path that cannot be resolved safely raises ``PatchRejected`` (code ``unsafe-path``)
before anything is written.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from shared.domain.errors import PatchRejected
from shared.patching.paths import unsafe_reason

MAX_FILE_BYTES = 4 * 1024 * 1024
_DIRECTORY = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


def read_snapshot(root: Path, paths: Iterable[str] | None) -> dict[str, str]:
    """UTF-8 regular files under ``root``: the given relative paths, or all (without ``.git``).
    Symlinks, files over ``MAX_FILE_BYTES`` and unreadable paths are left out."""
    if paths is None:
        candidates = [
            path.relative_to(root).as_posix()
            for path in root.rglob("*")
            if ".git" not in path.relative_to(root).parts
        ]
    else:
        candidates = list(paths)
    snapshot: dict[str, str] = {}
    with _Tree(root) as tree:
        for relative in candidates:
            text = tree.read_text(relative)
            if text is not None:
                snapshot[relative] = text
    return snapshot


def write_files(root: Path, files: Mapping[str, str | None]) -> None:
    """Write every file (``None`` deletes), all or nothing, never outside ``root``."""
    with _Tree(root) as tree:
        targets: dict[str, _Target] = {}
        backups: dict[str, bytes | None] = {}
        staged: list[tuple[_Target, str]] = []
        replaced: list[str] = []
        try:
            for relative in files:
                targets[relative] = tree.target(relative)
                backups[relative] = tree.read_bytes(targets[relative])
            for relative, text in files.items():
                if text is not None:
                    staged.append((targets[relative], tree.stage(targets[relative], text.encode())))
            for target, temporary in staged:
                os.replace(
                    temporary, target.name, src_dir_fd=target.dir_fd, dst_dir_fd=target.dir_fd
                )
                replaced.append(target.relative)
            for relative, text in files.items():
                if text is None and backups[relative] is not None:
                    os.unlink(targets[relative].name, dir_fd=targets[relative].dir_fd)
                    replaced.append(relative)
        except (OSError, PatchRejected):
            for target, temporary in staged:
                with contextlib.suppress(OSError):
                    os.unlink(temporary, dir_fd=target.dir_fd)
            for relative in replaced:
                tree.restore(targets[relative], backups[relative])
            tree.remove_created()
            raise


@dataclass(frozen=True)
class _Target:
    relative: str
    dir_fd: int
    name: str


class _Tree:
    """Directory descriptors of a root and the directories below it, opened without following
    symlinks; directories it had to create are remembered for a rollback."""

    def __init__(self, root: Path) -> None:
        self._root = root
        self._fds: dict[tuple[str, ...], int] = {}
        self._created: list[tuple[int, str]] = []

    def __enter__(self) -> _Tree:
        self._fds[()] = os.open(self._root, os.O_RDONLY | os.O_DIRECTORY)
        return self

    def __exit__(self, *_: object) -> None:
        for fd in self._fds.values():
            os.close(fd)

    def target(self, relative: str) -> _Target:
        """Where ``relative`` lives, its missing parent directories created; ``PatchRejected``
        when it is unsafe or a symlink (or a non-directory) stands on the way or at the end."""
        if (reason := unsafe_reason(relative)) is not None:
            raise PatchRejected(f"{relative}: {reason}", code="unsafe-path")
        *parents, name = relative.split("/")
        fd = self._directory(relative, tuple(parents), create=True)
        assert fd is not None
        try:
            status = os.stat(name, dir_fd=fd, follow_symlinks=False)
        except FileNotFoundError:
            return _Target(relative, fd, name)
        if not stat.S_ISREG(status.st_mode):
            raise PatchRejected(
                f"{relative}: not a regular file (a symlink or a directory); it is not written",
                code="unsafe-path",
            )
        return _Target(relative, fd, name)

    def read_text(self, relative: str) -> str | None:
        if unsafe_reason(relative) is not None:
            return None
        *parents, name = relative.split("/")
        fd = self._directory(relative, tuple(parents), create=False)
        if fd is None:
            return None
        try:
            data = self.read_bytes(_Target(relative, fd, name))
            return None if data is None else data.decode("utf-8")
        except (OSError, UnicodeDecodeError):
            return None

    def read_bytes(self, target: _Target) -> bytes | None:
        """The file's bytes; None when it does not exist, is no regular file or is too big."""
        try:
            fd = os.open(target.name, os.O_RDONLY | os.O_NOFOLLOW, dir_fd=target.dir_fd)
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as exc:
            if exc.errno == getattr(os, "ELOOP", None):
                return None  # a symlink
            raise
        with os.fdopen(fd, "rb") as stream:
            status = os.fstat(stream.fileno())
            if not stat.S_ISREG(status.st_mode) or status.st_size > MAX_FILE_BYTES:
                return None
            return stream.read()

    def stage(self, target: _Target, data: bytes) -> str:
        """A temporary file next to the target holding ``data``, with the target's mode."""
        temporary = f".{target.name}.{secrets.token_hex(6)}"
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
        fd = os.open(temporary, flags, 0o666, dir_fd=target.dir_fd)
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
            with contextlib.suppress(FileNotFoundError):
                mode = os.stat(target.name, dir_fd=target.dir_fd, follow_symlinks=False).st_mode
                os.fchmod(stream.fileno(), stat.S_IMODE(mode))
        return temporary

    def restore(self, target: _Target, original: bytes | None) -> None:
        with contextlib.suppress(OSError):
            if original is None:
                os.unlink(target.name, dir_fd=target.dir_fd)
                return
            temporary = self.stage(target, original)
            os.replace(temporary, target.name, src_dir_fd=target.dir_fd, dst_dir_fd=target.dir_fd)

    def remove_created(self) -> None:
        for parent_fd, name in reversed(self._created):
            with contextlib.suppress(OSError):
                os.rmdir(name, dir_fd=parent_fd)

    def _directory(self, relative: str, parts: tuple[str, ...], *, create: bool) -> int | None:
        for depth in range(1, len(parts) + 1):
            key = parts[:depth]
            if key in self._fds:
                continue
            parent, name = self._fds[key[:-1]], key[-1]
            try:
                self._fds[key] = os.open(name, _DIRECTORY, dir_fd=parent)
                continue
            except FileNotFoundError:
                if not create:
                    return None
            except OSError as exc:  # a symlink (ELOOP) or a file (ENOTDIR) on the way
                if not create:
                    return None
                raise PatchRejected(
                    f"{relative}: {'/'.join(key)} is not a directory of the tree (a symlink "
                    "or a file); nothing is written through it",
                    code="unsafe-path",
                ) from exc
            os.mkdir(name, dir_fd=parent)
            self._created.append((parent, name))
            self._fds[key] = os.open(name, _DIRECTORY, dir_fd=parent)
        return self._fds[parts]
