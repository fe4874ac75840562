"""Real bare git repositories for the local_git tests, built fast with ``git fast-import``."""

from __future__ import annotations

import subprocess
from collections.abc import Iterable
from pathlib import Path


def git(repo: Path, *args: str, stdin: bytes | None = None) -> bytes:
    done = subprocess.run(
        ["git", "--git-dir", str(repo), *args], input=stdin, capture_output=True, check=True
    )
    return done.stdout


def _stream(files: Iterable[tuple[str, bytes, str]], branch: str) -> Iterable[bytes]:
    """A fast-import stream: one blob per file, then one commit naming them all."""
    modes: list[tuple[str, str, int]] = []
    for mark, (path, data, mode) in enumerate(files, start=1):
        yield b"blob\nmark :%d\ndata %d\n" % (mark, len(data)) + data + b"\n"
        modes.append((path, mode, mark))
    message = b"initial import"
    yield (
        (
            f"commit refs/heads/{branch}\n"
            "author Dev <dev@example.com> 1700000000 +0000\n"
            "committer Dev <dev@example.com> 1700000000 +0000\n"
        ).encode()
        + b"data %d\n" % len(message)
        + message
        + b"\n"
    )
    for path, mode, mark in modes:
        yield f"M {mode} :{mark} {path}\n".encode()
    yield b"\n"


def make_bare_repo(
    path: Path, files: Iterable[tuple[str, bytes, str]] | dict[str, bytes], branch: str = "main"
) -> Path:
    """A bare repository at ``path`` whose ``branch`` holds ``files`` (path -> bytes, or
    (path, bytes, mode) triples) in one commit."""
    subprocess.run(
        ["git", "init", "--quiet", "--bare", "--initial-branch", branch, str(path)], check=True
    )
    items = ((p, d, "100644") for p, d in files.items()) if isinstance(files, dict) else iter(files)
    with subprocess.Popen(
        ["git", "--git-dir", str(path), "fast-import", "--quiet"], stdin=subprocess.PIPE
    ) as proc:
        assert proc.stdin is not None
        for chunk in _stream(items, branch):
            proc.stdin.write(chunk)
        proc.stdin.close()
        assert proc.wait() == 0
    return path


def show(repo: Path, ref: str, path: str) -> bytes:
    return git(repo, "show", f"{ref}:{path}")
