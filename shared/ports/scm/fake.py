"""An in-memory SCM for unit tests of services: same contracts as the adapters, no I/O.

Never used for the adapters' own tests (those run against real git repositories and local HTTP
servers speaking each vendor's protocol).
"""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass, field, replace

from shared.domain.access import RepositoryAccess, ScmUser
from shared.domain.errors import PermissionDenied, ScmConflict, ScmNotFound
from shared.domain.review import (
    PostedComment,
    PostedReview,
    PullRequestDiff,
    ReviewDraft,
    is_review_comment,
    plan_review_sync,
    with_review_marker,
)
from shared.domain.scm import (
    BranchPush,
    ChangeSet,
    Comment,
    FileContent,
    PullRequest,
    PullRequestDraft,
    ReadLimits,
    RepositoryTree,
    SourceItem,
    TreeEntry,
    marker_task_id,
    skip_reason,
    with_marker,
)
from shared.domain.task import SourceKind
from shared.ports.scm import (
    BranchWriter,
    CommentWriter,
    PullRequestWriter,
    RepositoryPermissions,
    RepositoryReader,
    ReviewWriter,
    Scm,
    SourceReader,
)


def _sha(data: bytes) -> str:
    return hashlib.sha1(data, usedforsecurity=False).hexdigest()


@dataclass
class FakeScm(
    SourceReader,
    RepositoryReader,
    BranchWriter,
    PullRequestWriter,
    CommentWriter,
    RepositoryPermissions,
    ReviewWriter,
):
    """One repository: ``branches`` maps branch -> {path: bytes}; ``items`` holds sources;
    ``collaborators`` maps a name to its role (``write``/``admin`` may push); the connection acts
    as ``account``; ``access_checks`` counts the permission questions asked. ``diffs`` holds
    pull requests' diffs by number; ``review_comments`` the inline comments on them as (author,
    comment), humans' and the agent's (``account``), and ``summaries`` the agent's summary per
    pull request."""

    tenant: str
    branches: dict[str, dict[str, bytes]] = field(default_factory=lambda: {"main": {}})
    default: str = "main"
    items: dict[tuple[SourceKind, str], SourceItem] = field(default_factory=dict)
    pulls: list[PullRequest] = field(default_factory=list)
    limits: ReadLimits = field(default_factory=ReadLimits)
    collaborators: dict[str, str] = field(default_factory=dict)
    account: str = "agent-bot"
    access_checks: int = 0
    diffs: dict[str, PullRequestDiff] = field(default_factory=dict)
    review_comments: dict[str, list[tuple[str, PostedComment]]] = field(default_factory=dict)
    summaries: dict[str, str] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def as_scm(self) -> Scm:
        return Scm(self, self, self, self, self, self, self)

    def _check(self, tenant: str) -> None:
        if tenant != self.tenant:
            raise PermissionDenied(f"connection of {self.tenant!r} used for {tenant!r}")

    def _files(self, ref: str) -> dict[str, bytes]:
        if ref not in self.branches:
            raise ScmNotFound(f"no branch {ref!r}")
        return self.branches[ref]

    # --- SourceReader -------------------------------------------------------------------------
    def get_source(self, tenant: str, kind: SourceKind, source_id: str) -> SourceItem:
        self._check(tenant)
        try:
            return self.items[(kind, source_id)]
        except KeyError:
            raise ScmNotFound(f"no {kind} {source_id}") from None

    # --- RepositoryReader ---------------------------------------------------------------------
    def default_branch(self, tenant: str) -> str:
        self._check(tenant)
        return self.default

    def list_tree(self, tenant: str, ref: str) -> RepositoryTree:
        self._check(tenant)
        files = self._files(ref)
        entries = tuple(
            TreeEntry(p, len(d), _sha(d), skip_reason(len(d), d, self.limits))
            for p, d in sorted(files.items())
        )
        return RepositoryTree(ref, _sha(repr(sorted(files.items())).encode()), entries)

    def read_file(self, tenant: str, ref: str, path: str) -> FileContent:
        self._check(tenant)
        data = self._files(ref).get(path)
        if data is None:
            raise ScmNotFound(f"no file {path!r} at {ref!r}")
        return FileContent.from_bytes(path, _sha(data), data, self.limits)

    # --- BranchWriter -------------------------------------------------------------------------
    def push_change(self, tenant: str, change: ChangeSet) -> BranchPush:
        self._check(tenant)
        if change.branch in self.branches:
            files = self.branches[change.branch]
            current = {c.path: _text(files.get(c.path)) for c in change.changes}
            if not change.matches(current):
                raise ScmConflict(f"branch {change.branch!r} exists with other content")
            return BranchPush(change.branch, _sha(repr(sorted(files.items())).encode()), False)
        files = dict(self._files(change.base_branch))
        for c in change.changes:
            if c.content is None:
                files.pop(c.path, None)
            else:
                files[c.path] = c.content.encode("utf-8")
        self.branches[change.branch] = files
        return BranchPush(change.branch, _sha(repr(sorted(files.items())).encode()), True)

    # --- PullRequestWriter --------------------------------------------------------------------
    def find_pull_request(self, tenant: str, branch: str) -> PullRequest | None:
        self._check(tenant)
        return next((p for p in self.pulls if p.branch == branch and p.state == "open"), None)

    def open_pull_request(self, tenant: str, draft: PullRequestDraft) -> PullRequest:
        existing = self.find_pull_request(tenant, draft.branch)
        if existing:
            return replace(existing, created=False)
        self._files(draft.branch)
        number = len(self.pulls) + 1
        pull = PullRequest(number, f"fake://pulls/{number}", draft.branch, draft.title, "open")
        self.pulls.append(pull)
        self.items[(SourceKind.PULL_REQUEST, str(number))] = SourceItem(
            SourceKind.PULL_REQUEST, str(number), draft.title, draft.body, "agent", draft.labels
        )
        return replace(pull, created=True)

    # --- CommentWriter ------------------------------------------------------------------------
    def upsert_comment(
        self, tenant: str, kind: SourceKind, source_id: str, task_id: str, body: str
    ) -> Comment:
        item = self.get_source(tenant, kind, source_id)
        text = with_marker(body, task_id)
        comments = list(item.comments)
        for i, existing in enumerate(comments):
            if marker_task_id(existing.body) == task_id:
                comments[i] = replace(existing, body=text)
                break
        else:
            comments.append(Comment(str(next(self._ids)), "agent", text))
            i = len(comments) - 1
        self.items[(kind, source_id)] = replace(item, comments=tuple(comments))
        return comments[i]

    # --- RepositoryPermissions ----------------------------------------------------------------
    def access(
        self, tenant: str, user: ScmUser, *, writer_groups: tuple[str, ...] = ()
    ) -> RepositoryAccess:
        self._check(tenant)
        self.access_checks += 1
        role = self.collaborators.get(user.name.casefold(), "none")
        return RepositoryAccess(user.name, role in ("write", "maintain", "admin"), role)

    def own_account(self, tenant: str) -> str:
        self._check(tenant)
        return self.account

    # --- ReviewWriter -------------------------------------------------------------------------
    def pull_request_diff(self, tenant: str, source_id: str) -> PullRequestDiff:
        self._check(tenant)
        try:
            return self.diffs[source_id]
        except KeyError:
            raise ScmNotFound(f"no pull request {source_id}") from None

    def publish_review(self, tenant: str, source_id: str, draft: ReviewDraft) -> PostedReview:
        self.pull_request_diff(tenant, source_id)
        comments = self.review_comments.setdefault(source_id, [])
        mine = [c for a, c in comments if a == self.account and is_review_comment(c.body)]
        sync = plan_review_sync(mine, draft)
        gone = {c.id for c in sync.remove}
        comments[:] = [(a, c) for a, c in comments if not (a == self.account and c.id in gone)]
        for old, new in sync.update:
            at = comments.index((self.account, old))
            comments[at] = (self.account, replace(old, body=with_review_marker(new.body)))
        for c in sync.create:
            body = with_review_marker(c.body)
            posted = PostedComment(str(next(self._ids)), c.path, c.line, body)
            comments.append((self.account, posted))
        self.summaries[source_id] = with_review_marker(draft.summary, summary=True)
        url = f"fake://pulls/{source_id}#review"
        return PostedReview(url, len(sync.create), len(sync.update), len(sync.remove))


def _text(data: bytes | None) -> str | None:
    return None if data is None else data.decode("utf-8", errors="replace")
