"""Source control, as seven small capabilities: read the source item, read the repository, push
a branch, open a pull request, comment back, say who may push (``permissions``), and review a
pull request (``reviews``).

One adapter set per tenant connection (``shared.adapters.scm.scm_for``). Every method takes the
tenant explicitly; an adapter refuses a tenant other than its connection's. Only domain types
cross these ports. Errors are the ``Scm*`` domain errors: ``ScmAuthError`` (credentials refused;
not retryable), ``ScmNotFound``, ``ScmConflict``, ``ScmRateLimited`` (with ``retry_after``
seconds when the server said), ``ScmUnavailable`` (5xx, timeouts; retryable). Adapters never
retry on their own: the orchestrator owns retries, so every attempt shows in its history.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from shared.domain.review import PostedReview, PullRequestDiff, ReviewDraft
from shared.domain.scm import (
    BranchPush,
    ChangeSet,
    Comment,
    FileContent,
    PullRequest,
    PullRequestDraft,
    RepositoryTree,
    SourceItem,
)
from shared.domain.task import SourceKind
from shared.ports.scm.permissions import RepositoryPermissions


class SourceReader(ABC):
    """Reads what a task was asked from: an issue, a work item, or a pull/merge request."""

    @abstractmethod
    def get_source(self, tenant: str, kind: SourceKind, source_id: str) -> SourceItem:
        """The item with its title, body, author, labels and comments (oldest first), or
        ``ScmNotFound``."""


class RepositoryReader(ABC):
    """Reads a repository at a ref, within ``ReadLimits``.

    ``list_tree`` marks entries it can already tell are skipped (too large by size; binary where
    the adapter reads content cheaply, as local_git does); ``read_file`` is authoritative: it
    never returns the text of a binary file or of one over ``max_file_bytes``, and says why.
    """

    @abstractmethod
    def default_branch(self, tenant: str) -> str: ...

    @abstractmethod
    def list_tree(self, tenant: str, ref: str) -> RepositoryTree:
        """Every file (blobs only, no directories) at ``ref`` (a branch name or commit sha),
        with memory bounded by the number of entries, never by file contents."""

    @abstractmethod
    def read_file(self, tenant: str, ref: str, path: str) -> FileContent:
        """One file's text at ``ref``; ``ScmNotFound`` when the path is not a file there."""


class BranchWriter(ABC):
    """Writes one commit on a new branch.

    Idempotent: when ``change.branch`` already exists and holds exactly the change's content at
    its paths, the branch is reused (``created=False``); when it holds anything else there,
    ``ScmConflict``. The base branch is never modified.
    """

    @abstractmethod
    def push_change(self, tenant: str, change: ChangeSet) -> BranchPush: ...


class PullRequestWriter(ABC):
    """Opens pull/merge requests, at most one open per branch."""

    @abstractmethod
    def find_pull_request(self, tenant: str, branch: str) -> PullRequest | None:
        """The open pull request whose source is ``branch``, if any."""

    @abstractmethod
    def open_pull_request(self, tenant: str, draft: PullRequestDraft) -> PullRequest:
        """Look up, then create: a second call for the same branch returns the first pull
        request with ``created=False`` (title and body are left as they are)."""


class CommentWriter(ABC):
    """Comments on the source item, one comment per task.

    The body carries the hidden marker ``<!-- ai-code-agent:task=<id> -->``; when a comment with
    the task's marker exists it is updated in place instead of adding another one.
    """

    @abstractmethod
    def upsert_comment(
        self, tenant: str, kind: SourceKind, source_id: str, task_id: str, body: str
    ) -> Comment: ...


class ReviewWriter(ABC):
    """Reads a pull/merge request's diff and publishes the agent's review of it.

    ``publish_review`` is idempotent across re-runs: every comment it posts carries a hidden
    marker (``REVIEW_MARKER`` inline, ``SUMMARY_MARKER`` on the one summary, see
    ``shared.domain.review``). On publish the agent's existing inline comments on the pull
    request are reconciled with the draft by ``plan_review_sync`` (matched by path and line: same
    body left alone, different body updated in place, no longer drafted removed, deleted or
    resolved where the SCM cannot delete; new ones created); the summary is one comment updated
    in place. A resolved comment the draft repeats stays resolved, and the summary says so
    (``ReviewSync.summary``). Comments of anyone else are never touched.
    """

    @abstractmethod
    def pull_request_diff(self, tenant: str, source_id: str) -> PullRequestDiff:
        """The open pull request's diff against its target, or ``ScmNotFound``."""

    @abstractmethod
    def publish_review(self, tenant: str, source_id: str, draft: ReviewDraft) -> PostedReview:
        """Post ``draft`` on the pull request (each comment's line is new-side and commentable,
        which the caller has checked) and say what changed."""


@dataclass(frozen=True)
class Scm:
    """The capabilities of one connection, as the patch flow uses them."""

    source: SourceReader
    repository: RepositoryReader
    branches: BranchWriter
    pull_requests: PullRequestWriter
    comments: CommentWriter
    permissions: RepositoryPermissions
    reviews: ReviewWriter


__all__ = [
    "BranchWriter",
    "CommentWriter",
    "PullRequestWriter",
    "RepositoryPermissions",
    "RepositoryReader",
    "ReviewWriter",
    "Scm",
    "SourceReader",
]
