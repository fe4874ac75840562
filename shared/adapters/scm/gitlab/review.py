"""Reviewing a GitLab merge request: its latest diff version, and discussions with positions.

The diff comes from the merge request's newest diff version (``GET .../versions`` then
``.../versions/:id``): its hunks (rebuilt from the two blobs within ``ReadLimits`` where GitLab
collapsed a file's diff or found it too large) and the three SHAs (``base``, ``start``, ``head``)
that a diff position must name. New comments are positioned on the version the draft was reviewed on
(any version of the merge request is accepted by GitLab, so a push after the diff was read leaves
them on the reviewed lines); when that version is gone the publish refuses, posting nothing. Inline
comments are discussions with a ``text`` position on the new line; on an unchanged (context) line
GitLab also needs the old line number, which the hunk gives. The summary is one plain note.

Only notes the token's own user wrote and that carry the agent's marker are the agent's: a commenter
who pastes the marker into a note of theirs does not make the agent edit or delete it. A stale
inline comment is deleted when its discussion holds nothing else; when people replied to it the
discussion is resolved instead, so their replies stay readable. A resolved discussion whose
comment the draft repeats on its line stays resolved (only a changed body is edited), and the
summary names it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from shared.adapters.scm.blob_diff import blob_hunks
from shared.adapters.scm.gitlab.reading import GitlabReader
from shared.adapters.scm.gitlab.session import GitlabSession
from shared.domain.errors import ScmConflict, ScmUnavailable
from shared.domain.review import (
    DiffFile,
    DiffShas,
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
from shared.domain.task import SourceKind
from shared.ports.scm import ReviewWriter

if TYPE_CHECKING:
    from gitlab.v4.objects import ProjectMergeRequest

_HUNK = re.compile(r"^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@")


def context_old_lines(patch: str) -> dict[int, int]:
    """New line -> old line of the unchanged (context) lines of ``patch``'s hunks."""
    pairs: dict[int, int] = {}
    old = new = 0
    in_hunk = False
    for raw in patch.splitlines():
        header = _HUNK.match(raw)
        if header:
            old, new, in_hunk = int(header.group(1)), int(header.group(2)), True
        elif not in_hunk or raw.startswith("\\"):
            continue
        elif raw.startswith("+"):
            new += 1
        elif raw.startswith("-"):
            old += 1
        else:  # a context line (an empty one has lost its leading space in transit)
            pairs[new] = old
            old, new = old + 1, new + 1
    return pairs


def _status(diff: dict[str, Any]) -> str:
    if diff.get("new_file"):
        return "added"
    if diff.get("deleted_file"):
        return "deleted"
    return "renamed" if diff.get("renamed_file") else "modified"


def _withheld(diff: dict[str, Any]) -> bool:
    """Whether GitLab left the file's hunks out: a collapsed or too large diff comes empty."""
    return bool(diff.get("collapsed") or diff.get("too_large")) and not diff.get("diff")


@dataclass(frozen=True)
class _Version:
    base_sha: str
    start_sha: str
    head_sha: str
    diffs: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class _Thread:
    """An agent comment's discussion: whether anyone else wrote in it, and if it is resolved."""

    discussion_id: str
    note_id: int
    shared: bool
    resolved: bool


class GitlabReviews(ReviewWriter):
    def __init__(self, session: GitlabSession, limits: ReadLimits) -> None:
        self._s = session
        self._limits = limits
        self._files = GitlabReader(session, limits)

    def _patch(self, tenant: str, version: _Version, diff: dict[str, Any]) -> str:
        """The file's hunks, or "" for what takes no inline comment (binary, or over
        ``ReadLimits``). Hunks GitLab withheld are rebuilt from the version's two blobs, each
        read within the limits, so a large file is still reviewed line by line."""
        if not _withheld(diff):
            text = str(diff.get("diff") or "")
            too_large = len(text.encode()) > self._limits.max_file_bytes
            return "" if too_large or not text.startswith("@@") else text
        old_path, new_path = str(diff["old_path"]), str(diff["new_path"])
        old = new = None
        if not diff.get("new_file"):
            old = self._files.read_file(tenant, version.base_sha, old_path)
        if not diff.get("deleted_file"):
            new = self._files.read_file(tenant, version.head_sha, new_path)
        return blob_hunks(old_path, new_path, old, new)

    def _merge_request(self, tenant: str, source_id: str) -> ProjectMergeRequest:
        mr = self._s.target(tenant, SourceKind.MERGE_REQUEST, source_id, lazy=False)
        return cast("ProjectMergeRequest", mr)

    def _latest_version(self, mr: ProjectMergeRequest, source_id: str) -> _Version:
        versions = mr.diffs.list(get_all=False, per_page=1)
        if not versions:
            # GitLab computes a version after the merge request is opened: retry later.
            raise ScmUnavailable(f"GitLab has no diff of merge request !{source_id} yet")
        return self._version(mr, versions[0].attributes["id"])

    def _reviewed_version(
        self, mr: ProjectMergeRequest, source_id: str, reviewed: DiffShas | None
    ) -> _Version:
        """The diff version the draft was reviewed on (the latest when it names none): its
        shas go into every new position, so a push since cannot move the comments."""
        if reviewed is None:
            return self._latest_version(mr, source_id)
        for v in mr.diffs.list(iterator=True):
            a = v.attributes
            shas = (a["base_commit_sha"], a["start_commit_sha"], a["head_commit_sha"])
            if shas == (reviewed.base_sha, reviewed.start_sha, reviewed.head_sha):
                return self._version(mr, a["id"])
        raise ScmConflict(
            f"merge request !{source_id} has no diff version at {reviewed.head_sha[:12]} any"
            " more; nothing was posted: ask for the review again",
            code="pull-request-moved",
        )

    @staticmethod
    def _version(mr: ProjectMergeRequest, version_id: Any) -> _Version:
        v = mr.diffs.get(version_id).attributes
        diffs = tuple(d for d in v.get("diffs") or () if isinstance(d, dict))
        return _Version(
            str(v["base_commit_sha"]), str(v["start_commit_sha"]), str(v["head_commit_sha"]), diffs
        )

    def pull_request_diff(self, tenant: str, source_id: str) -> PullRequestDiff:
        with self._s.errors(f"reading the diff of merge request !{source_id}"):
            mr = self._merge_request(tenant, source_id)
            version = self._latest_version(mr, source_id)
        files = tuple(
            DiffFile(
                path=str(d["new_path"]),
                old_path=str(d["old_path"]) if d.get("renamed_file") else None,
                status=_status(d),
                patch=self._patch(tenant, version, d),
            )
            for d in version.diffs
        )
        return PullRequestDiff(
            number=source_id,
            title=str(mr.title or ""),
            description=str(mr.description or ""),
            base_sha=version.base_sha,
            head_sha=version.head_sha,
            start_sha=version.start_sha,
            files=files,
        )

    def publish_review(self, tenant: str, source_id: str, draft: ReviewDraft) -> PostedReview:
        client = self._s.client(tenant)
        action = f"reviewing merge request !{source_id}"
        with self._s.errors(action):
            client.auth()
            me = None if client.user is None else client.user.attributes.get("id")
            mr = self._merge_request(tenant, source_id)
            version = self._reviewed_version(mr, source_id, draft.reviewed)
            posted, threads, summaries = self._agent_notes(mr, me)
        sync = plan_review_sync(posted, draft)
        removed = 0
        with self._s.errors(action):
            for stale in sync.remove:
                removed += self._remove(mr, threads[stale.id])
            for old, new in sync.update:
                thread = threads[old.id]
                discussion = mr.discussions.get(thread.discussion_id, lazy=True)
                discussion.notes.update(thread.note_id, {"body": with_review_marker(new.body)})
            for comment in sync.create:
                diff = next((d for d in version.diffs if d.get("new_path") == comment.path), {})
                patch = self._patch(tenant, version, diff) if diff else ""
                mr.discussions.create(
                    {
                        "body": with_review_marker(comment.body),
                        "position": _position(version, comment, diff, patch),
                    }
                )
            summary = with_review_marker(sync.summary(draft.summary), summary=True)
            if summaries:
                note_id = summaries[0]
                mr.notes.update(note_id, {"body": summary})
                for extra in summaries[1:]:  # left by a run that crashed mid-way
                    mr.notes.delete(extra)
            else:
                note_id = int(mr.notes.create({"body": summary}).attributes["id"])
        url = f"{mr.web_url}#note_{note_id}"
        kept = len(sync.kept_resolved)
        return PostedReview(url, len(sync.create), len(sync.update), removed, kept)

    def _agent_notes(
        self, mr: ProjectMergeRequest, me: Any
    ) -> tuple[list[PostedComment], dict[str, _Thread], list[int]]:
        """The agent's inline comments (first notes of positioned discussions), their threads,
        and the ids of its summary notes."""
        posted: list[PostedComment] = []
        threads: dict[str, _Thread] = {}
        summaries: list[int] = []
        for discussion in mr.discussions.list(iterator=True):
            notes = discussion.attributes.get("notes") or []
            mine = [n for n in notes if me is not None and (n.get("author") or {}).get("id") == me]
            summaries += [int(n["id"]) for n in mine if is_review_summary(str(n.get("body")))]
            first = notes[0] if notes else None
            if first is None or first not in mine or not is_review_comment(str(first["body"])):
                continue
            position = first.get("position") or {}
            key = f"{discussion.get_id()}/{first['id']}"
            line = int(position.get("new_line") or 0)  # 0: on a removed line, never drafted
            resolved = bool(first.get("resolved"))
            path = str(position.get("new_path"))
            posted.append(PostedComment(key, path, line, first["body"], resolved))
            threads[key] = _Thread(
                str(discussion.get_id()), int(first["id"]), shared=len(notes) > 1, resolved=resolved
            )
        return posted, threads, summaries

    def _remove(self, mr: ProjectMergeRequest, thread: _Thread) -> int:
        """Delete a stale comment, or resolve its discussion when others replied; 1 if done."""
        discussion = mr.discussions.get(thread.discussion_id, lazy=True)
        if not thread.shared:
            discussion.notes.delete(thread.note_id)
            return 1
        if thread.resolved:
            return 0
        mr.discussions.update(thread.discussion_id, {"resolved": True})
        return 1


def _position(
    version: _Version, comment: ReviewComment, diff: dict[str, Any], patch: str
) -> dict[str, Any]:
    """A ``text`` position on the new line of ``diff`` (whose hunks are ``patch``); an
    unchanged line also names its old line."""
    position: dict[str, Any] = {
        "position_type": "text",
        "base_sha": version.base_sha,
        "start_sha": version.start_sha,
        "head_sha": version.head_sha,
        "new_path": comment.path,
        "old_path": str(diff.get("old_path") or comment.path),
        "new_line": comment.line,
    }
    old_line = context_old_lines(patch).get(comment.line)
    if old_line is not None:
        position["old_line"] = old_line
    return position
