"""Reviewing an Azure DevOps pull request: the latest iteration's changes, and threads with
thread context.

Azure DevOps serves no unified diff, so each changed file's hunks are computed here from the two
blobs the iteration names (``originalObjectId`` and ``objectId``), read within ``ReadLimits``
(a binary, non-UTF-8 or oversized side gives no hunks), with ``blob_hunks``.
The diff is the latest iteration against the common commit of source and target (what the pull
request's "Files" tab shows). The SDK's model of an iteration change names only
``changeTrackingId``; msrest keeps the rest of the documented entry (``item``, ``changeType``,
``originalPath``) in ``additional_properties``, which is where it is read from.

An inline comment is a thread whose ``threadContext`` anchors it on the right (new) file's line,
with ``pullRequestThreadContext`` naming the file's change tracking id and the iteration of the
head the draft was reviewed at (never simply the latest: lines read before a push must be
anchored in the code they were read in), so it follows the file when later pushes move lines.
The summary is one thread without context, status ``closed`` (a report, not a finding that
blocks completion policies).

Only threads whose first comment the connection's own identity wrote and that carry the agent's
marker are the agent's. A stale comment is deleted and its thread closed when nobody replied;
when people replied, the thread is only closed, so their replies stay. A closed or fixed
thread whose comment the draft repeats on its line keeps its status (only a changed body is
edited), and the summary names it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared.adapters.scm.azure_devops.reading import AdoReader, number
from shared.adapters.scm.azure_devops.session import AdoSession
from shared.adapters.scm.blob_diff import blob_hunks
from shared.domain.errors import ScmConflict, ScmUnavailable
from shared.domain.review import (
    DiffFile,
    PostedComment,
    PostedReview,
    PullRequestDiff,
    ReviewComment,
    ReviewDraft,
    is_review_comment,
    is_review_summary,
    plan_review_sync,
    with_review_marker,
)
from shared.domain.scm import ReadLimits
from shared.ports.scm import ReviewWriter

PAGE = 100
_DONE = frozenset({"closed", "fixed", "wontFix", "byDesign"})


@dataclass(frozen=True)
class _Iteration:
    id: int
    head_sha: str
    base_sha: str  # the common commit of source and target


@dataclass(frozen=True)
class _Change:
    tracking_id: int
    path: str
    old_path: str | None
    status: str
    object_id: str
    original_object_id: str


@dataclass(frozen=True)
class _Thread:
    thread_id: int
    comment_id: int
    shared: bool  # someone replied
    done: bool  # closed, fixed, ...


def _change(entry: Any) -> _Change | None:
    """A file change from an iteration change entry (folders give ``None``)."""
    props = entry.additional_properties or {}
    item = props.get("item") or {}
    if item.get("isFolder") or item.get("gitObjectType") == "tree" or not item.get("path"):
        return None
    kind = str(props.get("changeType") or "edit").lower()
    status = "modified"
    for word, name in (("add", "added"), ("delete", "deleted"), ("rename", "renamed")):
        if word in kind:
            status = name
            break
    original = str(props.get("originalPath") or props.get("sourceServerItem") or "")
    return _Change(
        tracking_id=int(entry.change_tracking_id or 0),
        path=str(item["path"]).lstrip("/"),
        old_path=original.lstrip("/") if status == "renamed" and original else None,
        status=status,
        object_id=str(item.get("objectId") or ""),
        original_object_id=str(item.get("originalObjectId") or item.get("objectId") or ""),
    )


class AdoReviews(ReviewWriter):
    def __init__(self, session: AdoSession, limits: ReadLimits) -> None:
        self._s = session
        self._limits = limits
        self._files = AdoReader(session, limits)

    def _iteration(self, tenant: str, pr_id: int, head_sha: str | None = None) -> _Iteration:
        """The latest iteration, or the newest one at ``head_sha`` (the reviewed head): a
        comment made on it stays on the reviewed lines whatever was pushed since. No
        iteration at that head (a force-push replaced it) is ``ScmConflict``."""
        git = self._s.git(tenant)
        iterations = git.get_pull_request_iterations(self._s.repository, pr_id, self._s.project)
        if not iterations:
            raise ScmUnavailable(f"Azure DevOps has no iteration of pull request {pr_id} yet")
        found = [
            _Iteration(
                int(i.id), str(i.source_ref_commit.commit_id), str(i.common_ref_commit.commit_id)
            )
            for i in iterations
        ]
        if head_sha is not None:
            found = [i for i in found if i.head_sha == head_sha]
            if not found:
                raise ScmConflict(
                    f"pull request {pr_id} has no iteration at {head_sha[:12]}; nothing was"
                    " posted: ask for the review again",
                    code="pull-request-moved",
                )
        return max(found, key=lambda i: i.id)

    def _changes(self, tenant: str, pr_id: int, iteration: int) -> list[_Change]:
        """The iteration's file changes against the common commit, at most
        ``max_tree_entries`` of them."""
        git = self._s.git(tenant)
        changes: list[_Change] = []
        skip = 0
        while len(changes) < self._limits.max_tree_entries:
            page = git.get_pull_request_iteration_changes(
                self._s.repository, pr_id, iteration, self._s.project, top=PAGE, skip=skip
            )
            changes += [c for c in map(_change, page.change_entries or []) if c is not None]
            if not page.next_top:
                break
            skip = int(page.next_skip)
        return changes[: self._limits.max_tree_entries]

    def _patch(self, tenant: str, change: _Change) -> str:
        old_path = change.old_path or change.path
        old = new = None
        if change.status != "added":
            old = self._files.read_blob(tenant, old_path, change.original_object_id)
        if change.status != "deleted":
            new = self._files.read_blob(tenant, change.path, change.object_id)
        return blob_hunks(old_path, change.path, old, new)

    def pull_request_diff(self, tenant: str, source_id: str) -> PullRequestDiff:
        pr_id = number(source_id)
        git = self._s.git(tenant)
        with self._s.errors(f"reading the diff of pull request {pr_id}"):
            pr = git.get_pull_request_by_id(pr_id, self._s.project)
            iteration = self._iteration(tenant, pr_id)
            changes = self._changes(tenant, pr_id, iteration.id)
        files = tuple(
            DiffFile(c.path, c.old_path, c.status, self._patch(tenant, c)) for c in changes
        )
        return PullRequestDiff(
            number=source_id,
            title=str(pr.title or ""),
            description=str(pr.description or ""),
            base_sha=iteration.base_sha,
            head_sha=iteration.head_sha,
            start_sha=iteration.base_sha,
            files=files,
        )

    def publish_review(self, tenant: str, source_id: str, draft: ReviewDraft) -> PostedReview:
        from azure.devops.v7_1.git.models import Comment as AdoComment

        pr_id = number(source_id)
        git, repo, project = self._s.git(tenant), self._s.repository, self._s.project
        action = f"reviewing pull request {pr_id}"
        with self._s.errors(action):
            me = self._s.location(tenant).get_connection_data().authenticated_user
            reviewed = draft.reviewed.head_sha if draft.reviewed else None
            iteration = self._iteration(tenant, pr_id, reviewed)
            tracking = {c.path: c.tracking_id for c in self._changes(tenant, pr_id, iteration.id)}
            existing = git.get_threads(repo, pr_id, project) or []
        posted, threads, summaries = _agent_threads(existing, str(me.id if me else ""))
        sync = plan_review_sync(posted, draft)
        removed = 0
        with self._s.errors(action):
            for stale in sync.remove:
                removed += self._remove(tenant, pr_id, threads[stale.id])
            for old, new in sync.update:
                t = threads[old.id]
                content = AdoComment(content=with_review_marker(new.body))
                git.update_comment(content, repo, pr_id, t.thread_id, t.comment_id, project)
            for comment in sync.create:
                thread = _inline_thread(comment, iteration.id, tracking.get(comment.path))
                git.create_thread(thread, repo, pr_id, project)
            summary = with_review_marker(sync.summary(draft.summary), summary=True)
            if summaries:
                t = summaries[0]
                content = AdoComment(content=summary)
                git.update_comment(content, repo, pr_id, t.thread_id, t.comment_id, project)
                thread_id = t.thread_id
            else:
                thread_id = int(
                    git.create_thread(_summary_thread(summary), repo, pr_id, project).id
                )
        url = self._s.web_url(f"_git/{repo}/pullrequest/{pr_id}?discussionId={thread_id}")
        kept = len(sync.kept_resolved)
        return PostedReview(url, len(sync.create), len(sync.update), removed, kept)

    def _remove(self, tenant: str, pr_id: int, thread: _Thread) -> int:
        """Close a stale comment's thread, then delete the comment when nobody answered it;
        1 if anything changed. Closing first: a run cut short between the two leaves the
        comment for the next run to find, never an open thread with nothing in it."""
        from azure.devops.v7_1.git.models import GitPullRequestCommentThread

        if thread.shared and thread.done:
            return 0
        git, repo, project = self._s.git(tenant), self._s.repository, self._s.project
        if not thread.done:
            closed = GitPullRequestCommentThread(status="closed")
            git.update_thread(closed, repo, pr_id, thread.thread_id, project)
        if not thread.shared:
            git.delete_comment(repo, pr_id, thread.thread_id, thread.comment_id, project)
        return 1


def _agent_threads(
    threads: list[Any], me: str
) -> tuple[list[PostedComment], dict[str, _Thread], list[_Thread]]:
    """The agent's inline comments with their threads, and its summary threads."""
    posted: list[PostedComment] = []
    found: dict[str, _Thread] = {}
    summaries: list[_Thread] = []
    for t in threads:
        comments = [c for c in t.comments or [] if not c.is_deleted]
        if t.is_deleted or not comments or not me:
            continue
        first = comments[0]
        if str(getattr(first.author, "id", "")) != me:
            continue
        body = str(first.content or "")
        thread = _Thread(int(t.id), int(first.id), len(comments) > 1, str(t.status or "") in _DONE)
        context = t.thread_context
        if context is None and is_review_summary(body):
            summaries.append(thread)
        elif context is not None and context.right_file_start and is_review_comment(body):
            key = f"{t.id}/{first.id}"
            path = str(context.file_path or "").lstrip("/")
            line = int(context.right_file_start.line)
            posted.append(PostedComment(key, path, line, body, resolved=thread.done))
            found[key] = thread
    return posted, found, summaries


def _inline_thread(comment: ReviewComment, iteration: int, tracking_id: int | None) -> Any:
    from azure.devops.v7_1.git.models import (
        Comment,
        CommentIterationContext,
        CommentPosition,
        CommentThreadContext,
        GitPullRequestCommentThread,
        GitPullRequestCommentThreadContext,
    )

    at = CommentPosition(line=comment.line, offset=1)
    return GitPullRequestCommentThread(
        comments=[
            Comment(
                content=with_review_marker(comment.body), comment_type="text", parent_comment_id=0
            )
        ],
        status="active",
        thread_context=CommentThreadContext(
            file_path=f"/{comment.path}", right_file_start=at, right_file_end=at
        ),
        pull_request_thread_context=GitPullRequestCommentThreadContext(
            change_tracking_id=tracking_id,
            iteration_context=CommentIterationContext(
                first_comparing_iteration=1, second_comparing_iteration=iteration
            ),
        ),
    )


def _summary_thread(body: str) -> Any:
    from azure.devops.v7_1.git.models import Comment, GitPullRequestCommentThread

    return GitPullRequestCommentThread(
        comments=[Comment(content=body, comment_type="text", parent_comment_id=0)],
        status="closed",
    )
