"""Reviewing a GitHub pull request: its files for the diff, review comments for the review.

New inline comments go out as one pull request review (``event=COMMENT``, each comment with
``line`` and ``side=RIGHT``, pinned by ``commit_id`` to the head the draft was reviewed at, so a
push after the diff was read cannot shift them: GitHub answers 422 for a commit that is no
longer part of the pull request, which surfaces as ``ScmConflict``); the agent's earlier comments
are edited (``PATCH /pulls/comments/{id}``) or deleted (``DELETE /pulls/comments/{id}``) by id;
the summary is one issue comment on the pull request, edited in place on a re-run. Only comments
that carry the agent's marker AND were written by the connection's account are the agent's: a
human quoting the marker is never edited or deleted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from shared.adapters.scm.github.session import GithubSession, issue_number
from shared.domain.review import (
    DiffFile,
    PostedComment,
    PostedReview,
    PullRequestDiff,
    ReviewDraft,
    is_review_comment,
    is_review_summary,
    plan_review_sync,
    with_review_marker,
)
from shared.domain.scm import ScmAuth
from shared.domain.task import SourceKind
from shared.ports.scm import ReviewWriter

if TYPE_CHECKING:
    from github.PullRequest import PullRequest as GithubPull

#: The body of each review that adds inline comments (GitHub requires one with COMMENT).
_REVIEW_BODY = "🤖 Review comments of ai-code-agent; its summary is a comment on this pull request."
#: GitHub's file statuses (``GET /pulls/{n}/files``) as the domain's four.
_STATUS = {"added": "added", "copied": "added", "removed": "deleted", "renamed": "renamed"}


class GithubReviews(ReviewWriter):
    def __init__(self, session: GithubSession) -> None:
        self._s = session

    def _pull(self, tenant: str, source_id: str) -> GithubPull:
        number = issue_number(SourceKind.PULL_REQUEST, source_id)
        repo = self._s.repo(tenant)
        with self._s.errors(f"reading pull request #{number}"):
            return repo.get_pull(number)

    def _own_login(self, tenant: str) -> str | None:
        """The connection's account (``GET /user``), or None for a GitHub App installation,
        whose comments come from its ``<app>[bot]`` account."""
        if self._s.bound.connection.auth is ScmAuth.GITHUB_APP:
            return None
        with self._s.errors("authenticated user"):
            return str(self._s.client(tenant).get_user().login)

    def pull_request_diff(self, tenant: str, source_id: str) -> PullRequestDiff:
        pull = self._pull(tenant, source_id)
        with self._s.errors(f"reading the files of pull request #{pull.number}"):
            files = tuple(
                DiffFile(
                    path=f.filename,
                    old_path=f.previous_filename or None,
                    status=_STATUS.get(f.status, "modified"),
                    patch=f.patch or "",
                )
                for f in pull.get_files()
            )
            base, head = pull.base.sha, pull.head.sha
            return PullRequestDiff(
                str(pull.number), pull.title or "", pull.body or "", base, head, base, files
            )

    def publish_review(self, tenant: str, source_id: str, draft: ReviewDraft) -> PostedReview:
        pull = self._pull(tenant, source_id)
        with self._s.errors(f"publishing the review of pull request #{pull.number}"):
            own = self._own_login(tenant)
            mine = []
            for c in pull.get_review_comments():
                if is_review_comment(c.body or "") and _by(c.user, own):
                    # an outdated comment (its line gone from the diff) has no line: stale
                    mine.append((c, PostedComment(str(c.id), c.path, c.line or 0, c.body)))
            by_id = {posted.id: comment for comment, posted in mine}
            sync = plan_review_sync([posted for _, posted in mine], draft)
            if sync.create:
                head = draft.reviewed.head_sha if draft.reviewed else pull.head.sha
                pull.create_review(
                    commit=self._s.repo(tenant).get_commit(head),  # lazy: only its sha is sent
                    body=_REVIEW_BODY,  # required with event=COMMENT
                    event="COMMENT",
                    comments=[
                        {
                            "path": c.path,
                            "line": c.line,
                            "side": "RIGHT",
                            "body": with_review_marker(c.body),
                        }
                        for c in sync.create
                    ],
                )
            # after the review, which GitHub may refuse whole: a refusal then changes nothing
            for stale in sync.remove:
                by_id[stale.id].delete()
            for old, new in sync.update:
                by_id[old.id].edit(with_review_marker(new.body))
            url = self._summary(tenant, pull, draft.summary, own)
        return PostedReview(url, len(sync.create), len(sync.update), len(sync.remove))

    def _summary(self, tenant: str, pull: GithubPull, summary: str, own: str | None) -> str:
        text = with_review_marker(summary, summary=True)
        for comment in pull.get_issue_comments():
            if is_review_summary(comment.body or "") and _by(comment.user, own):
                if comment.body != text:
                    comment.edit(text)
                return str(comment.html_url)
        return str(pull.create_issue_comment(text).html_url)


def _by(user: Any, own: str | None) -> bool:
    """Whether ``user`` is the connection's account (``own``; any bot for an App)."""
    login = str(getattr(user, "login", "") or "")
    return login.endswith("[bot]") if own is None else login.casefold() == own.casefold()
