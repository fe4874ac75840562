"""Reviewing a local_git pull request: the diff from git, the review in the tenant's schema.

The diff is the source branch against its merge base with the target branch (what a forge
shows). Inline comments are rows of ``scm_review_comments``, each recording the commit its line
is numbered in (the draft's reviewed head); the summary is an ordinary comment
on the pull request (``scm_comments``). Publishing runs in one transaction with the pull
request's row locked, so two concurrent publishes still leave one set of comments; only rows
written by the agent's account and carrying its marker are edited or deleted.
"""

from __future__ import annotations

from typing import Any

from shared.adapters.scm.local_git.adapter import AGENT_AUTHOR, LocalGit
from shared.adapters.store.postgres.database import TenantTx
from shared.domain.errors import InvalidInput, ScmNotFound
from shared.domain.review import (
    SUMMARY_MARKER,
    PostedComment,
    PostedReview,
    PullRequestDiff,
    ReviewDraft,
    is_review_comment,
    plan_review_sync,
    with_review_marker,
)
from shared.ports.scm import ReviewWriter

_PULL = (
    "SELECT number, source_branch, target_branch, title, body FROM scm_pull_requests "
    "WHERE repository = %s AND number = %s"
)
_LOCK_PULL = _PULL + " FOR UPDATE"


def _number(source_id: str) -> int:
    if not source_id.isdigit():
        raise InvalidInput(f"local_git numbers are digits, not {source_id!r}")
    return int(source_id)


class LocalGitReviews(ReviewWriter):
    def __init__(self, local: LocalGit) -> None:
        self._l = local

    def _pull(self, tx: TenantTx, number: int, *, lock: bool = False) -> dict[str, Any]:
        row = tx.conn.execute(_LOCK_PULL if lock else _PULL, (self._l.name, number)).fetchone()
        if row is None:
            raise ScmNotFound(f"local_git: no pull request #{number} in {self._l.name!r}")
        return row

    def pull_request_diff(self, tenant: str, source_id: str) -> PullRequestDiff:
        self._l.bound.check(tenant)
        number = _number(source_id)
        with self._l.issues.transaction(tenant) as tx:
            row = self._pull(tx, number)
        git = self._l.git
        head = git.resolve(f"refs/heads/{row['source_branch']}")
        base = git.merge_base(git.resolve(f"refs/heads/{row['target_branch']}"), head)
        return PullRequestDiff(
            str(number), str(row["title"]), str(row["body"]), base, head, base, tuple(
                git.diff(base, head)
            )
        )  # fmt: skip

    def publish_review(self, tenant: str, source_id: str, draft: ReviewDraft) -> PostedReview:
        self._l.bound.check(tenant)
        number = _number(source_id)
        repository = self._l.name
        with self._l.issues.transaction(tenant) as tx:
            row = self._pull(tx, number, lock=True)
            # the reviewed head when the draft names one: its lines are that commit's
            head = draft.reviewed.head_sha if draft.reviewed else (
                self._l.git.resolve(f"refs/heads/{row['source_branch']}")
            )  # fmt: skip
            posted = [
                PostedComment(str(r["id"]), str(r["path"]), int(str(r["line"])), str(r["body"]))
                for r in tx.conn.execute(
                    "SELECT id, path, line, body FROM scm_review_comments WHERE repository = %s"
                    " AND pull_number = %s AND author = %s ORDER BY id",
                    (repository, number, AGENT_AUTHOR),
                ).fetchall()
                if is_review_comment(str(r["body"]))
            ]
            sync = plan_review_sync(posted, draft)
            for stale in sync.remove:
                tx.conn.execute("DELETE FROM scm_review_comments WHERE id = %s", (int(stale.id),))
            for old, new in sync.update:
                tx.conn.execute(
                    "UPDATE scm_review_comments SET body = %s, commit_sha = %s, updated_at = now()"
                    " WHERE id = %s",
                    (with_review_marker(new.body), head, int(old.id)),
                )
            for c in sync.create:
                tx.conn.execute(
                    "INSERT INTO scm_review_comments (repository, pull_number, path, line,"
                    " commit_sha, author, body) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                    (repository, number, c.path, c.line, head, AGENT_AUTHOR,
                     with_review_marker(c.body)),
                )  # fmt: skip
            summary = with_review_marker(draft.summary, summary=True)
            found = tx.conn.execute(
                "UPDATE scm_comments SET body = %s, updated_at = now() WHERE id = ("
                " SELECT id FROM scm_comments WHERE repository = %s"
                " AND target_kind = 'pull_request' AND target_number = %s AND author = %s"
                " AND strpos(body, %s) > 0 ORDER BY id LIMIT 1) RETURNING id",
                (summary, repository, number, AGENT_AUTHOR, SUMMARY_MARKER),
            ).fetchone()
            if found is None:
                tx.conn.execute(
                    "INSERT INTO scm_comments (repository, target_kind, target_number, author,"
                    " body) VALUES (%s, 'pull_request', %s, %s, %s)",
                    (repository, number, AGENT_AUTHOR, summary),
                )
        url = f"local_git://{repository}/pulls/{number}#review"
        return PostedReview(url, len(sync.create), len(sync.update), len(sync.remove))
