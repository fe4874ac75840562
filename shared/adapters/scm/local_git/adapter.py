"""local_git: real bare repositories on disk as the remote, records in the tenant's schema.

For on-prem and edge deployments, the demo and end-to-end tests. Git objects and branches live
in ``<root>/<repository>`` (or ``<repository>.git``); issues, pull requests and comments live in
PostgreSQL (``LocalIssues``), under the tenant's role.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from shared.adapters.scm.connection import BoundConnection
from shared.adapters.scm.local_git.git import GitRepository
from shared.adapters.scm.local_git.records import LocalIssues
from shared.adapters.scm.local_git.scan import scan_tree
from shared.domain.errors import ConfigurationError, ScmConflict, ScmNotFound
from shared.domain.scm import (
    BranchPush,
    ChangeSet,
    Comment,
    FileContent,
    PullRequest,
    PullRequestDraft,
    ReadLimits,
    RepositoryTree,
    ScmConnection,
    SkipReason,
    SourceItem,
    comment_marker,
    validate_branch,
    validate_path,
    with_marker,
)
from shared.domain.task import SourceKind
from shared.ports.scm import (
    BranchWriter,
    CommentWriter,
    PullRequestWriter,
    RepositoryReader,
    SourceReader,
)

AGENT_AUTHOR = "ai-code-agent"


def repository_path(root: Path, repository: str) -> Path:
    """``<root>/<repository>`` (or with ``.git`` appended), refusing to leave ``root``."""
    base = root.resolve()
    for candidate in (base / repository, base / f"{repository}.git"):
        resolved = candidate.resolve()
        if not resolved.is_relative_to(base) or resolved == base:
            raise ConfigurationError(f"local_git repository {repository!r} is outside its root")
        if resolved.is_dir():
            return resolved
    return (base / f"{repository}.git").resolve()


class LocalGit:
    """What the local reader and writer share: the tenant guard, the repository, the records."""

    def __init__(
        self, connection: ScmConnection, issues: LocalIssues, root: Path, timeout_s: float = 60.0
    ) -> None:
        self.bound = BoundConnection(connection, None)
        base = connection.base_url.removeprefix("file://") if connection.base_url else None
        self.name = connection.repository
        self.issues = issues
        self._root = Path(base) if base else root
        self._timeout_s = timeout_s

    @cached_property
    def git(self) -> GitRepository:
        """Located on first use (constructors do no I/O, not even a stat)."""
        return GitRepository(repository_path(self._root, self.name), timeout_s=self._timeout_s)


class LocalGitReader(SourceReader, RepositoryReader):
    def __init__(self, local: LocalGit, limits: ReadLimits) -> None:
        self._l = local
        self._limits = limits

    def get_source(self, tenant: str, kind: SourceKind, source_id: str) -> SourceItem:
        self._l.bound.check(tenant)
        return self._l.issues.get_source(tenant, self._l.name, kind, source_id)

    def default_branch(self, tenant: str) -> str:
        self._l.bound.check(tenant)
        return self._l.git.default_branch()

    def list_tree(self, tenant: str, ref: str) -> RepositoryTree:
        """Binary files are told apart here too (git reads them locally at little cost)."""
        self._l.bound.check(tenant)
        commit = self._l.git.resolve(ref)
        entries, truncated = scan_tree(self._l.git, commit, self._limits)
        return RepositoryTree(ref, commit, tuple(entries), truncated)

    def read_file(self, tenant: str, ref: str, path: str) -> FileContent:
        self._l.bound.check(tenant)
        validate_path(path)
        blob = self._l.git.blob_at(self._l.git.resolve(ref), path)
        if blob is None:
            raise ScmNotFound(f"local_git: {path!r} is not a file at {ref!r}")
        sha, size = blob
        if size > self._limits.max_file_bytes:
            return FileContent.skipped_file(path, sha, size, SkipReason.TOO_LARGE)
        return FileContent.from_bytes(path, sha, self._l.git.read_blob(sha), self._limits)


class LocalGitWriter(BranchWriter, PullRequestWriter, CommentWriter):
    def __init__(self, local: LocalGit) -> None:
        self._l = local

    def _text_at(self, commit: str, path: str) -> str | None:
        blob = self._l.git.blob_at(commit, path)
        if blob is None:
            return None
        return self._l.git.read_blob(blob[0]).decode("utf-8", errors="replace")

    def _reuse(self, change: ChangeSet, existing: str) -> BranchPush:
        current = {c.path: self._text_at(existing, c.path) for c in change.changes}
        if change.matches(current):
            return BranchPush(change.branch, existing, created=False)
        raise ScmConflict(f"local_git: branch {change.branch!r} exists with other content")

    def push_change(self, tenant: str, change: ChangeSet) -> BranchPush:
        self._l.bound.check(tenant)
        git = self._l.git
        existing = git.branch_sha(change.branch)
        if existing is not None:
            return self._reuse(change, existing)
        base = git.resolve(f"refs/heads/{change.base_branch}")
        author = (change.author_name, change.author_email)
        commit = git.commit_change(base, change.changes, change.message, author)
        try:
            git.create_branch(change.branch, commit)
        except ScmConflict:  # created meanwhile by a concurrent run: same rule as above
            raced = git.branch_sha(change.branch)
            if raced is None:
                raise
            return self._reuse(change, raced)
        return BranchPush(change.branch, commit, created=True)

    def find_pull_request(self, tenant: str, branch: str) -> PullRequest | None:
        self._l.bound.check(tenant)
        return self._l.issues.find_pull_request(tenant, self._l.name, validate_branch(branch))

    def open_pull_request(self, tenant: str, draft: PullRequestDraft) -> PullRequest:
        self._l.bound.check(tenant)
        head = self._l.git.branch_sha(validate_branch(draft.branch))
        if head is None:
            raise ScmNotFound(f"local_git: no branch {draft.branch!r} to open a pull request for")
        self._l.git.resolve(f"refs/heads/{validate_branch(draft.base_branch)}")
        return self._l.issues.open_pull_request(
            tenant, self._l.name, draft, head_sha=head, author=AGENT_AUTHOR
        )

    def upsert_comment(
        self, tenant: str, kind: SourceKind, source_id: str, task_id: str, body: str
    ) -> Comment:
        self._l.bound.check(tenant)
        return self._l.issues.upsert_comment(
            tenant,
            self._l.name,
            kind,
            source_id,
            author=AGENT_AUTHOR,
            body=with_marker(body, task_id),
            marker=comment_marker(task_id),
        )
