"""Listing a large tree with bounded memory, telling binary and oversized files apart.

``git ls-tree`` streams the entries; one ``git cat-file --batch`` process streams the contents of
the files within the size limit, of which only the first 8 KiB are looked at (for a NUL byte) and
the rest is read through a fixed buffer and dropped. Memory grows with the number of entries
(paths and ids), never with file contents.
"""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterable
from contextlib import closing, suppress
from typing import IO

from shared.adapters.scm.local_git.git import GitRepository
from shared.domain.errors import ScmError
from shared.domain.scm import BINARY_SNIFF_BYTES, ReadLimits, SkipReason, TreeEntry, is_binary

_CHUNK = 64 * 1024


def _feed(stdin: IO[bytes], shas: Iterable[str]) -> None:
    try:
        for sha in shas:
            stdin.write(f"{sha}\n".encode())
    except BrokenPipeError:
        pass
    finally:
        with suppress(BrokenPipeError):
            stdin.close()


def _binary_shas(repo: GitRepository, shas: list[str]) -> set[str]:
    """The blobs among ``shas`` whose first 8 KiB hold a NUL byte."""
    binary: set[str] = set()
    if not shas:
        return binary
    with subprocess.Popen(
        ["git", "cat-file", "--batch"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=repo.env(),
    ) as proc:
        assert proc.stdin is not None and proc.stdout is not None
        writer = threading.Thread(target=_feed, args=(proc.stdin, shas), daemon=True)
        writer.start()
        out = proc.stdout
        for _ in shas:
            header = out.readline().split()
            if len(header) != 3:
                raise ScmError(f"local git cat-file: unexpected reply {header!r}")
            sha, size = header[0].decode(), int(header[2])
            head = out.read(min(size, BINARY_SNIFF_BYTES))
            left = size - len(head)
            while left > 0:
                left -= len(out.read(min(left, _CHUNK)))
            out.read(1)  # the newline after each object
            if is_binary(head):
                binary.add(sha)
        writer.join()
    return binary


def scan_tree(repo: GitRepository, commit: str, limits: ReadLimits) -> tuple[list[TreeEntry], bool]:
    """Every file at ``commit`` (up to ``limits.max_tree_entries``) and whether it was cut."""
    listed: list[tuple[str, str, int]] = []
    truncated = False
    with closing(repo.iter_tree(commit)) as items:
        for item in items:
            if len(listed) >= limits.max_tree_entries:
                truncated = True
                break
            listed.append(item)
    candidates = sorted({sha for _, sha, size in listed if size <= limits.max_file_bytes})
    binary = _binary_shas(repo, candidates)
    entries = [
        TreeEntry(
            path,
            size,
            sha,
            SkipReason.TOO_LARGE
            if size > limits.max_file_bytes
            else (SkipReason.BINARY if sha in binary else None),
        )
        for path, sha, size in listed
    ]
    return entries, truncated
