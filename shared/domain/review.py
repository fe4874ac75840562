"""A code review of a pull/merge request, whatever the vendor: the diff the agent reads, the
review it writes, and how a re-run reconciles it with what an earlier run posted.

These types cross the ``ReviewWriter`` port (``shared.ports.scm``). Comments the agent posts
carry a hidden marker so that a re-run can find them again: ``REVIEW_MARKER`` on inline comments,
``SUMMARY_MARKER`` on the one summary. ``plan_review_sync`` is the single rule every adapter
follows on publish, so GitHub, GitLab, Azure DevOps and local git reconcile identically.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from shared.domain.errors import InvalidInput

REVIEW_MARKER = "<!-- ai-code-agent:review -->"
SUMMARY_MARKER = "<!-- ai-code-agent:review-summary -->"
DIFF_STATUSES = frozenset({"added", "modified", "deleted", "renamed"})

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")
_MARKERS = re.compile(r"\s*<!-- ai-code-agent:review(?:-summary)? -->\s*")


@dataclass(frozen=True)
class DiffFile:
    """One file of a pull request's diff. ``patch`` holds the unified hunks (``@@ -a,b +c,d @@``
    lines and their bodies, no ``---``/``+++`` header); it is ``""`` when the SCM gives none
    (binary, too large, or a rename without edits), and such a file takes no inline comment."""

    path: str
    old_path: str | None
    status: str  # added | modified | deleted | renamed
    patch: str

    def __post_init__(self) -> None:
        if self.status not in DIFF_STATUSES:
            raise InvalidInput(f"diff status {self.status!r} is not one of {sorted(DIFF_STATUSES)}")


@dataclass(frozen=True)
class DiffShas:
    """The commits one diff of a pull request was computed between: what a review of that diff
    pins its comments to, so a push after it was read cannot move them onto other code.
    ``start_sha`` is GitLab's position ``start_sha`` (``base_sha`` elsewhere)."""

    base_sha: str
    start_sha: str
    head_sha: str


@dataclass(frozen=True)
class PullRequestDiff:
    """What a pull request changes: ``base_sha`` (merge base or target), ``head_sha`` (source
    tip) and ``start_sha`` (GitLab's position ``start_sha``; ``base_sha`` elsewhere)."""

    number: str
    title: str
    description: str
    base_sha: str
    head_sha: str
    start_sha: str
    files: tuple[DiffFile, ...]

    def file(self, path: str) -> DiffFile | None:
        return next((f for f in self.files if f.path == path), None)

    @property
    def shas(self) -> DiffShas:
        return DiffShas(self.base_sha, self.start_sha, self.head_sha)


@dataclass(frozen=True)
class ReviewComment:
    """An inline comment on ``line`` (1-based) of the NEW version of ``path``; the line must be
    in ``commentable_lines`` of that file, or SCMs reject (or misplace) it."""

    path: str
    line: int
    body: str

    def __post_init__(self) -> None:
        if self.line < 1:
            raise InvalidInput(f"review comment line {self.line} is not 1-based")
        if not self.body.strip():
            raise InvalidInput("review comment has an empty body")


@dataclass(frozen=True)
class ReviewDraft:
    """The review to publish: one summary and at most one comment per (path, line).

    ``reviewed`` names the diff the comments' lines were read from; adapters anchor new comments
    to exactly that diff (GitHub ``commit_id``, GitLab position shas, the Azure DevOps iteration
    of that head) and refuse with ``ScmConflict`` where the SCM no longer knows it, so a push
    between reading and publishing can never put a comment on other lines. ``None`` anchors to
    the diff the adapter reads while publishing (a caller that did not read one first)."""

    summary: str
    comments: tuple[ReviewComment, ...]
    reviewed: DiffShas | None = None

    def __post_init__(self) -> None:
        keys = [(c.path, c.line) for c in self.comments]
        if len(keys) != len(set(keys)):
            raise InvalidInput("review draft has two comments on the same line")


@dataclass(frozen=True)
class PostedReview:
    """Where the review is (the summary's URL) and what publishing changed: inline comments
    ``created``, ``updated`` (body changed) and ``removed`` (stale ones from an earlier run);
    ``kept_resolved`` of the earlier ones are drafted again on a resolved thread, which stays
    resolved."""

    url: str
    created: int
    updated: int
    removed: int
    kept_resolved: int = 0


def commentable_lines(diff_file: DiffFile) -> frozenset[int]:
    """New-side line numbers an SCM accepts an inline comment on: the added (``+``) and context
    (`` ``) lines of the hunks. Removed lines and lines outside every hunk are not."""
    return frozenset(n for n, _ in hunk_lines(diff_file.patch) if n is not None)


def hunk_lines(patch: str) -> Iterator[tuple[int | None, str]]:
    """Each line of ``patch`` with its new-side line number: set for added and context lines,
    ``None`` for hunk headers, removed lines and ``\\ No newline at end of file``."""
    new_line: int | None = None
    for raw in patch.splitlines():
        header = _HUNK.match(raw)
        if header:
            new_line = int(header.group(1))
            yield None, raw
        elif new_line is not None and (raw[:1] in ("+", " ") or raw == ""):
            yield new_line, raw
            new_line += 1
        else:
            yield None, raw


def with_review_marker(body: str, *, summary: bool = False) -> str:
    """``body`` as posted: any marker text it already holds removed, then the agent's marker."""
    marker = SUMMARY_MARKER if summary else REVIEW_MARKER
    return f"{strip_review_marker(body)}\n\n{marker}"


def strip_review_marker(body: str) -> str:
    """The body a reviewer wrote, without the agent's markers (for comparing bodies)."""
    return _MARKERS.sub("\n", body).strip()


def is_review_comment(body: str) -> bool:
    """True for an inline comment the agent posted (never a human's comment)."""
    return REVIEW_MARKER in body


def is_review_summary(body: str) -> bool:
    return SUMMARY_MARKER in body


@dataclass(frozen=True)
class PostedComment:
    """An inline agent comment already on the pull request, as an adapter found it;
    ``resolved`` where the SCM tracks it (a GitLab discussion resolved, an Azure DevOps thread
    closed or fixed): a person has dealt with it."""

    id: str
    path: str
    line: int
    body: str
    resolved: bool = False


@dataclass(frozen=True)
class ReviewSync:
    """What to do to turn the posted agent comments into the draft's comments."""

    create: tuple[ReviewComment, ...]
    update: tuple[tuple[PostedComment, ReviewComment], ...]
    remove: tuple[PostedComment, ...]
    keep: tuple[PostedComment, ...]

    @property
    def kept_resolved(self) -> tuple[PostedComment, ...]:
        """Resolved comments the draft repeats on their line: adapters keep them resolved
        (only a changed body is edited; a thread is never re-opened) and the summary says so."""
        matched = [*self.keep, *(old for old, _ in self.update)]
        return tuple(sorted((c for c in matched if c.resolved), key=lambda c: (c.path, c.line)))

    def summary(self, text: str) -> str:
        """The summary to post for ``text``: with a line naming the findings repeated on
        threads a person resolved, so that a reader knows why they are not open again."""
        resolved = self.kept_resolved
        if not resolved:
            return text
        where = ", ".join(f"`{c.path}` line {c.line}" for c in resolved)
        return (
            f"{text}\n\nStill found, left resolved as they were resolved on this pull request"
            f" before: {where}."
        )


def plan_review_sync(posted: Iterable[PostedComment], draft: ReviewDraft) -> ReviewSync:
    """Match posted agent comments to the draft by (path, line): same body (markers aside) is
    kept, a different body updated in place, a posted one the draft no longer has removed, and
    the rest of the draft created. A second posted comment on one line (a crashed earlier run)
    is removed too, so a re-run converges on exactly the draft."""
    wanted = {(c.path, c.line): c for c in draft.comments}
    matched: set[tuple[str, int]] = set()
    update: list[tuple[PostedComment, ReviewComment]] = []
    remove: list[PostedComment] = []
    keep: list[PostedComment] = []
    for comment in posted:
        key = (comment.path, comment.line)
        target = wanted.get(key)
        if target is None or key in matched:
            remove.append(comment)
            continue
        matched.add(key)
        if strip_review_marker(comment.body) == strip_review_marker(target.body):
            keep.append(comment)
        else:
            update.append((comment, target))
    create = tuple(c for key, c in wanted.items() if key not in matched)
    return ReviewSync(create, tuple(update), tuple(remove), tuple(keep))
