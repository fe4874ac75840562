"""The per-repository dependency cache: what ``setup:`` produced, keyed by the lock files.

Setup (installing dependencies) is the slow part of a check and needs the network; its result
depends only on the setup commands and the lock files. So after a setup that passed, the
workspace paths the repository names in ``setup_cache`` are kept under
``<root>/<tenant>/<repository>/<key>``, where the key hashes the setup commands and every lock
file present; a later attempt (or task) with the same key restores them and skips setup. A
tenant's cache is never restored into another tenant's or repository's workspace. Entries are
written to a temporary directory and renamed into place, so a crash leaves no half entry.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

from shared.patching.paths import unsafe_reason

LOCK_FILES = (
    "requirements.txt",
    "requirements-dev.txt",
    "poetry.lock",
    "uv.lock",
    "Pipfile.lock",
    "pdm.lock",
    "package-lock.json",
    "yarn.lock",
    "pnpm-lock.yaml",
    "go.sum",
    "Cargo.lock",
    "Gemfile.lock",
    "composer.lock",
)


class DependencyCache:
    def __init__(self, root: Path, repository: str) -> None:
        self._root = root
        self._repository = hashlib.sha256(repository.encode()).hexdigest()[:32]

    def key(self, workspace: Path, setup: Sequence[Sequence[str]]) -> str | None:
        """The entry key, or None when no lock file pins the dependencies (never cached)."""
        digest = hashlib.sha256(repr([list(argv) for argv in setup]).encode())
        found = False
        for name in LOCK_FILES:
            path = workspace / name
            if path.is_file() and not path.is_symlink():
                found = True
                digest.update(f"\0{name}\0".encode())
                digest.update(path.read_bytes())
        return digest.hexdigest() if found else None

    def _entry(self, tenant: str, key: str) -> Path:
        return self._root / tenant / self._repository / key

    def restore(self, tenant: str, key: str, workspace: Path) -> bool:
        """Copy the entry's paths into the workspace; False when there is no entry."""
        entry = self._entry(tenant, key)
        if not entry.is_dir():
            return False
        shutil.copytree(entry, workspace, symlinks=True, dirs_exist_ok=True)
        return True

    def store(self, tenant: str, key: str, workspace: Path, paths: Sequence[str]) -> None:
        """Keep ``paths`` (relative, inside the workspace) under ``key``; unsafe ones skipped."""
        entry = self._entry(tenant, key)
        if entry.is_dir() or not paths:
            return
        entry.parent.mkdir(parents=True, exist_ok=True)
        building = Path(tempfile.mkdtemp(prefix=".build-", dir=entry.parent))
        try:
            for relative in paths:
                source = workspace / relative
                if unsafe_reason(relative) or source.is_symlink() or not source.exists():
                    continue
                target = building / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                if source.is_dir():
                    shutil.copytree(source, target, symlinks=True)
                else:
                    shutil.copy2(source, target, follow_symlinks=False)
            try:
                os.rename(building, entry)
            except OSError:
                if not entry.is_dir():  # not a concurrent store of the same key
                    raise
        finally:
            shutil.rmtree(building, ignore_errors=True)
