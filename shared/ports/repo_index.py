"""The kept per-repository retrieval index and the pushes it follows, in the tenant's database.

A repository is keyed by the provider and repository name that webhooks and tasks use. Each
call (or ``updating`` block) is one tenant transaction, so one tenant never reads or writes
another's rows. ``updating`` holds the repository's lock to its end: one updater per repository,
a second waits and then sees the first's work.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass


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
