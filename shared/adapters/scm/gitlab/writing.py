"""Writing to GitLab: one commit with actions on a new branch, a merge request, one note."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from shared.adapters.scm.gitlab.reading import to_comment
from shared.adapters.scm.gitlab.session import GitlabSession
from shared.domain.errors import ScmConflict, ScmNotFound
from shared.domain.scm import (
    BranchPush,
    ChangeSet,
    Comment,
    PullRequest,
    PullRequestDraft,
    marker_task_id,
    validate_task_id,
    with_marker,
)
from shared.domain.task import SourceKind
from shared.ports.scm import BranchWriter, CommentWriter, PullRequestWriter

if TYPE_CHECKING:
    from gitlab.v4.objects import Project, ProjectMergeRequest

_STATES = {"opened": "open", "closed": "closed", "merged": "merged", "locked": "open"}


def _pull(mr: ProjectMergeRequest, branch: str, *, created: bool) -> PullRequest:
    state = _STATES.get(str(mr.state), str(mr.state))
    return PullRequest(int(mr.iid), str(mr.web_url), branch, str(mr.title), state, created)


class GitlabWriter(BranchWriter, PullRequestWriter, CommentWriter):
    def __init__(self, session: GitlabSession) -> None:
        self._s = session

    # --- branch -------------------------------------------------------------------------------
    def _exists(self, project: Project, path: str, ref: str) -> bool:
        try:
            with self._s.errors(f"looking up {path!r} at {ref!r}"):
                project.files.head(path, ref=ref)
                return True
        except ScmNotFound:
            return False

    def _text_at(self, project: Project, path: str, ref: str) -> str | None:
        try:
            with self._s.errors(f"reading {path!r} at {ref!r}"):
                data = project.files.raw(path, ref=ref)
        except ScmNotFound:
            return None
        return data.decode("utf-8", errors="replace") if isinstance(data, bytes) else None

    def push_change(self, tenant: str, change: ChangeSet) -> BranchPush:
        project = self._s.project(tenant)
        try:
            with self._s.errors(f"looking up branch {change.branch!r}"):
                existing = str(project.branches.get(change.branch).commit["id"])
        except ScmNotFound:
            existing = None
        if existing is not None:
            current = {
                c.path: self._text_at(project, c.path, change.branch) for c in change.changes
            }
            if change.matches(current):
                return BranchPush(change.branch, existing, created=False)
            raise ScmConflict(f"GitLab: branch {change.branch!r} exists with other content")
        actions: list[dict[str, Any]] = []
        for c in change.changes:
            present = self._exists(project, c.path, change.base_branch)
            if c.content is None:
                if present:
                    actions.append({"action": "delete", "file_path": c.path})
                continue
            action = "update" if present else "create"
            actions.append({"action": action, "file_path": c.path, "content": c.content})
        with self._s.errors(f"pushing branch {change.branch!r}"):
            commit = project.commits.create(
                {
                    "branch": change.branch,
                    "start_branch": change.base_branch,
                    "commit_message": change.message,
                    "author_name": change.author_name,
                    "author_email": change.author_email,
                    "actions": actions,
                }
            )
            return BranchPush(change.branch, str(commit.id), created=True)

    # --- merge requests -------------------------------------------------------------------------
    def find_pull_request(self, tenant: str, branch: str) -> PullRequest | None:
        project = self._s.project(tenant)
        with self._s.errors(f"looking up the merge request of {branch!r}"):
            found = project.mergerequests.list(source_branch=branch, state="opened", get_all=False)
            return _pull(found[0], branch, created=False) if found else None

    def open_pull_request(self, tenant: str, draft: PullRequestDraft) -> PullRequest:
        existing = self.find_pull_request(tenant, draft.branch)
        if existing is not None:
            return existing
        project = self._s.project(tenant)
        # GitLab marks drafts by title prefix (its documented way for the REST API).
        title = f"Draft: {draft.title}" if draft.draft else draft.title
        with self._s.errors(f"opening a merge request for {draft.branch!r}"):
            mr = project.mergerequests.create(
                {
                    "source_branch": draft.branch,
                    "target_branch": draft.base_branch,
                    "title": title,
                    "description": draft.body,
                    "labels": ",".join(draft.labels),
                }
            )
            return _pull(mr, draft.branch, created=True)

    # --- notes ----------------------------------------------------------------------------------
    def upsert_comment(
        self, tenant: str, kind: SourceKind, source_id: str, task_id: str, body: str
    ) -> Comment:
        text = with_marker(body, validate_task_id(task_id))
        target = self._s.target(tenant, kind, source_id)
        with self._s.errors(f"commenting on {kind} !{source_id}"):
            for note in target.notes.list(iterator=True, sort="asc", order_by="created_at"):
                if marker_task_id(str(note.attributes.get("body") or "")) == task_id:
                    updated = target.notes.update(note.get_id(), {"body": text})
                    return to_comment(updated)
            return to_comment(target.notes.create({"body": text}).attributes)
