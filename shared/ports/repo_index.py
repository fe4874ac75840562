"""The kept per-repository retrieval index and the pushes it follows, in the tenant's database.

A repository is keyed by the provider and repository name that webhooks and tasks use. Each
call (or ``updating`` block) is one tenant transaction, so one tenant never reads or writes
another's rows. ``updating`` holds the repository's lock to its end: one updater per repository,
a second waits and then sees the first's work.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class RepoKey:
    tenant: str
    provider: str
    repository: str

    @property
    def vectors_repo(self) -> str:
        """The repository's key in ``CodeVectors``."""
        return f"{self.provider}/{self.repository}"


@dataclass(frozen=True)
class IndexState:
    """The commit indexed (``None``: nothing yet) and the newest commit a push asked for;
    push ids order them."""

    indexed_commit: str | None
    indexed_push: int
    wanted_commit: str | None
    wanted_push: int


@dataclass(frozen=True)
class IndexedFile:
    path: str
    blob_sha: str
    text: str


@dataclass(frozen=True)
class PastChange:
    message: str
    paths: tuple[str, ...]


class RepoIndexTx(ABC):
    """One repository's index, locked for an update."""

    @abstractmethod
    def state(self) -> IndexState: ...

    @abstractmethod
    def blob_shas(self) -> dict[str, str]:
        """Per indexed path, the blob sha it was indexed at."""

    @abstractmethod
    def put(self, files: Sequence[IndexedFile]) -> None: ...

    @abstractmethod
    def delete(self, paths: Iterable[str]) -> None: ...

    @abstractmethod
    def set_indexed(self, commit: str, push: int) -> None:
        """Record the commit now indexed, as of push ``push`` (0: not from a push)."""

    @abstractmethod
    def fill_push_paths(self, up_to_push: int, paths: Sequence[str]) -> None:
        """Give the pushes recorded without paths, up to ``up_to_push``, the paths an update
        found changed (Azure DevOps lists none)."""


class RepoIndexStore(ABC):
    @abstractmethod
    def updating(self, key: RepoKey) -> AbstractContextManager[RepoIndexTx]:
        """The repository's index, locked until the block ends (committed unless it raises)."""

    @abstractmethod
    def state(self, key: RepoKey) -> IndexState: ...

    @abstractmethod
    def files(self, key: RepoKey) -> list[IndexedFile]: ...

    @abstractmethod
    def changes(self, key: RepoKey, limit: int) -> list[PastChange]:
        """The newest ``limit`` recorded commits of the repository, oldest first."""

    @abstractmethod
    def pending(self, tenant: str) -> list[RepoKey]:
        """The tenant's repositories whose wanted commit is newer than their indexed one."""


class _MemoryTx(RepoIndexTx):
    def __init__(self, store: MemoryRepoIndexStore, key: RepoKey) -> None:
        self._store, self._key = store, key

    def state(self) -> IndexState:
        return self._store.state(self._key)

    def blob_shas(self) -> dict[str, str]:
        return {f.path: f.blob_sha for f in self._store.files(self._key)}

    def put(self, files: Sequence[IndexedFile]) -> None:
        self._store.kept.setdefault(self._key, {}).update({f.path: f for f in files})

    def delete(self, paths: Iterable[str]) -> None:
        for path in paths:
            self._store.kept.get(self._key, {}).pop(path, None)

    def set_indexed(self, commit: str, push: int) -> None:
        old = self.state()
        self._store.states[self._key] = replace(old, indexed_commit=commit, indexed_push=push)

    def fill_push_paths(self, up_to_push: int, paths: Sequence[str]) -> None:
        pushes = self._store.pushes.get(self._key, [])
        for i, (push, change) in enumerate(pushes):
            if push <= up_to_push and not change.paths:
                pushes[i] = (push, PastChange(change.message, tuple(paths)))


class MemoryRepoIndexStore(RepoIndexStore):
    """In this process, one lock for all: for benchmarks and unit tests of the services."""

    def __init__(self) -> None:
        self.states: dict[RepoKey, IndexState] = {}
        self.kept: dict[RepoKey, dict[str, IndexedFile]] = {}
        self.pushes: dict[RepoKey, list[tuple[int, PastChange]]] = {}
        self._lock = threading.Lock()
        self._next = 0

    def want(self, key: RepoKey, commit: str, changes: Sequence[PastChange] = ()) -> int:
        """What intake's ``record_push`` does: record a push and want its head."""
        with self._lock:
            for change in changes or (PastChange("", ()),):
                self._next += 1
                self.pushes.setdefault(key, []).append((self._next, change))
            self.states[key] = replace(
                self.state(key), wanted_commit=commit, wanted_push=self._next
            )
            return self._next

    @contextmanager
    def updating(self, key: RepoKey) -> Iterator[RepoIndexTx]:
        with self._lock:
            yield _MemoryTx(self, key)

    def state(self, key: RepoKey) -> IndexState:
        return self.states.get(key, IndexState(None, 0, None, 0))

    def files(self, key: RepoKey) -> list[IndexedFile]:
        return sorted(self.kept.get(key, {}).values(), key=lambda f: f.path)

    def changes(self, key: RepoKey, limit: int) -> list[PastChange]:
        return [c for _, c in self.pushes.get(key, [])][-limit:]

    def pending(self, tenant: str) -> list[RepoKey]:
        return sorted(
            (
                k
                for k, s in self.states.items()
                if k.tenant == tenant and s.wanted_push > s.indexed_push
            ),
            key=lambda k: (k.provider, k.repository),
        )
