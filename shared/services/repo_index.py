"""The kept per-repository index: updated after pushes, loaded by tasks at its commit.

Intake records a push to a connected repository's default branch (``repo_pushes``) and marks
its head as the repository's *wanted* commit. ``update`` brings the kept index to the wanted
commit: it lists the tree there, compares each file's blob sha with the stored one, reads from
the SCM only the files that changed, and deletes the rows of files that are gone. It runs under
the repository's lock (one updater at a time; a second finds nothing left to do), and only ever
moves to the newest wanted push, so a stale update never overwrites a newer one; repeating it
changes nothing. The timer (``functions/maintenance.py``) runs ``update_pending`` every minute
for every tenant; a task whose commit is the wanted one runs ``update`` itself first, so it never
waits for the timer. A timer, not an orchestration per push: pushes to one repository coalesce
into one update to the newest head, and an update needs no durable state of its own (the kept
index *is* its state, and a failed update is simply retried by the next pass).

``at_commit`` gives a task a ``RepoIndex`` of the kept files plus the recorded pushes as its
change history (churn and similar past changes), or ``None`` when the kept index is at another
commit: the task then builds its index as before.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from shared.domain.errors import DomainError
from shared.ports.code_vectors import CodeVectors
from shared.ports.repo_index import IndexedFile, RepoIndexStore, RepoKey
from shared.ports.scm import RepositoryReader
from shared.ports.tenants import TenantDirectory
from shared.retrieval.embeddings import Embedder
from shared.retrieval.history import MAX_CHANGES
from shared.retrieval.index import MAX_FILE_BYTES, RepoIndex

log = logging.getLogger(__name__)

#: Files kept per repository; a larger tree is indexed in path order up to this many.
MAX_FILES = 20_000
#: Loaded indexes kept in this process, newest use last: tasks on one repository between two
#: pushes share one load (an index at a commit never changes; its history grows only by pushes,
#: which move the commit).
LOADED = 4


@dataclass
class UpdateReport:
    key: RepoKey
    commit: str | None = None
    read: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: str = ""  # why nothing was done ("current", "nothing-wanted")


@dataclass(frozen=True)
class KeptIndex:
    index: RepoIndex
    commit: str
    files: int
    changes: int

    def lineage(self) -> dict[str, Any]:
        return {"kind": "kept", "commit": self.commit, "files": self.files,
                "history_changes": self.changes}  # fmt: skip


class RepoIndexes:
    def __init__(
        self,
        store: RepoIndexStore,
        tenants: TenantDirectory,
        reader_for: Callable[[RepoKey], RepositoryReader],
        *,
        embedder: Embedder | None = None,
        vectors: CodeVectors | None = None,
        max_files: int = MAX_FILES,
    ) -> None:
        self._store, self._tenants, self._reader_for = store, tenants, reader_for
        self._embedder, self._vectors, self._max_files = embedder, vectors, max_files
        self._loaded: OrderedDict[tuple[RepoKey, str], KeptIndex] = OrderedDict()
        self._lock = threading.Lock()

    def update(self, key: RepoKey) -> UpdateReport:
        """Bring the kept index to the repository's newest wanted commit (see the module)."""
        report = UpdateReport(key)
        with self._store.updating(key) as tx:
            state = tx.state()
            if state.wanted_commit is None:
                report.skipped = "nothing-wanted"
                return report
            if state.wanted_push <= state.indexed_push:
                report.skipped, report.commit = "current", state.indexed_commit
                return report
            reader = self._reader_for(key)
            tree = reader.list_tree(key.tenant, state.wanted_commit)
            listed = {
                e.path: e.sha
                for e in tree.entries
                if e.skipped is None and (e.size is None or e.size <= MAX_FILE_BYTES)
            }
            listed = dict(sorted(listed.items())[: self._max_files])
            stored = tx.blob_shas()
            changed = [p for p, sha in listed.items() if stored.get(p) != sha]
            found: dict[str, str | None] = {}
            for path in changed:
                found[path] = reader.read_file(key.tenant, tree.commit_sha, path).text
            kept = [IndexedFile(p, listed[p], t) for p, t in found.items() if t is not None]
            gone = [p for p in stored if p not in listed or found.get(p, "") is None]
            tx.put(kept)
            tx.delete(gone)
            tx.set_indexed(tree.commit_sha, state.wanted_push)
            tx.fill_push_paths(state.wanted_push, sorted({*changed, *gone}))
            self._embed(key, {**{f.path: f.text for f in kept}, **dict.fromkeys(gone)})
            report.commit, report.read, report.removed = tree.commit_sha, changed, gone
        return report

    def _embed(self, key: RepoKey, files: dict[str, str | None]) -> None:
        """Replace the changed files' chunk vectors (where the platform keeps them)."""
        if self._embedder is None or self._vectors is None or not files:
            return
        RepoIndex(embedder=self._embedder, vectors=self._vectors, tenant=key.tenant,
                  repo=key.vectors_repo).update(files)  # fmt: skip

    def update_pending(self) -> list[UpdateReport]:
        """One pass of the timer: every active tenant's repositories with a newer push. A
        repository that fails is logged and retried by the next pass."""
        reports = []
        for tenant in self._tenants.list():
            if not tenant.active:
                continue
            try:
                pending = self._store.pending(tenant.slug)
            except DomainError:
                log.exception("repository index: tenant %s unavailable", tenant.slug)
                continue
            for key in pending:
                try:
                    reports.append(self.update(key))
                except DomainError:
                    log.exception("repository index update of %s failed", key.repository)
        return reports

    def at_commit(self, key: RepoKey, commit: str) -> KeptIndex | None:
        """The kept index when it is (or, after the pending update, becomes) at ``commit``."""
        state = self._store.state(key)
        if state.indexed_commit != commit and state.wanted_commit == commit:
            state = self._store.state(self.update(key).key)
        if state.indexed_commit != commit:
            return None
        with self._lock:
            if (key, commit) in self._loaded:
                self._loaded.move_to_end((key, commit))
                return self._loaded[(key, commit)]
        kept = self._load(key, commit)
        with self._lock:
            self._loaded[(key, commit)] = kept
            while len(self._loaded) > LOADED:
                self._loaded.popitem(last=False)
        return kept

    def _load(self, key: RepoKey, commit: str) -> KeptIndex:
        files = self._store.files(key)
        # Built without the embedder: the stored vectors are current, so only queries embed.
        index = RepoIndex(vectors=self._vectors, tenant=key.tenant, repo=key.vectors_repo)
        index.update({f.path: f.text for f in files})
        index.embedder = self._embedder if self._vectors is not None else None
        changes = self._store.changes(key, MAX_CHANGES)
        for change in changes:
            index.history.record(change.message, change.paths)
        return KeptIndex(index, commit, len(files), len(index.history))
