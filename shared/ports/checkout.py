"""A working copy of a repository at one commit, for applying a patch and checking it.

``check_out`` fills an empty ``destination`` with the repository's files at ``commit`` (real
files: executable bits, symlinks and binaries as committed; Git LFS pointers left as pointers),
within ``CheckoutLimits``. When the repository has more files than ``max_files`` and ``sparse``
names paths, only those are checked out (``Checkout.sparse``); otherwise ``CheckoutTooLarge``.
Credentials never reach a URL, a config file, a log or the working copy. The caller owns the
destination and removes it. Errors: ``CheckoutTooLarge``, ``CheckoutUnsupported`` (credentials
git cannot use) and the ``Scm*`` errors (auth refused,
commit not found, server unavailable).
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from shared.domain.errors import CheckoutTooLarge


@dataclass(frozen=True)
class CheckoutLimits:
    max_files: int = 50_000
    max_bytes: int = 2 * 1024 * 1024 * 1024
    sparse: tuple[str, ...] = ()


@dataclass(frozen=True)
class Checkout:
    root: Path
    files: int
    bytes: int
    sparse: bool = False


class RepositoryCheckout(ABC):
    @abstractmethod
    def check_out(
        self, tenant: str, commit: str, destination: Path, limits: CheckoutLimits
    ) -> Checkout: ...


class FakeCheckout(RepositoryCheckout):
    """In-memory stand-in for service unit tests: writes ``files`` (path → text)."""

    def __init__(self, files: Mapping[str, str]) -> None:
        self.files = dict(files)

    def check_out(
        self, tenant: str, commit: str, destination: Path, limits: CheckoutLimits
    ) -> Checkout:
        if len(self.files) > limits.max_files:
            raise CheckoutTooLarge(f"{len(self.files)} files; the limit is {limits.max_files}")
        for path, text in self.files.items():
            target = destination / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        size = sum(os.path.getsize(destination / p) for p in self.files)
        return Checkout(destination, len(self.files), size)
