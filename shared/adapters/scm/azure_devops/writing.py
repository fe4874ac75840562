"""Writing to Azure DevOps: a push (refUpdates + one commit with changes), a pull request, one
comment on a work item or one thread on a pull request."""

from __future__ import annotations

from typing import Any

from shared.adapters.scm.azure_devops.reading import (
    AdoReader,
    number,
    thread_comment,
    version,
    work_item_comment,
)
from shared.adapters.scm.azure_devops.session import AdoSession
from shared.domain.errors import InvalidInput, ScmConflict, ScmNotFound
from shared.domain.scm import (
    BranchPush,
    ChangeSet,
    Comment,
    PullRequest,
    PullRequestDraft,
    ReadLimits,
    marker_task_id,
    validate_task_id,
    with_marker,
)
from shared.domain.task import SourceKind
from shared.ports.scm import BranchWriter, CommentWriter, PullRequestWriter

_STATES = {"active": "open", "abandoned": "closed", "completed": "merged"}


class AdoWriter(BranchWriter, PullRequestWriter, CommentWriter):
    def __init__(self, session: AdoSession) -> None:
        self._s = session
        self._refs = AdoReader(session, ReadLimits())

    def _pull(self, pr: Any, branch: str, *, created: bool) -> PullRequest:
        pr_id = int(pr.pull_request_id)
        url = self._s.web_url(f"_git/{self._s.repository}/pullrequest/{pr_id}")
        state = _STATES.get(str(pr.status), str(pr.status))
        return PullRequest(pr_id, url, branch, str(pr.title), state, created)

    # --- branch -------------------------------------------------------------------------------
    def _text_at(self, tenant: str, path: str, ref: str) -> str | None:
        git = self._s.git(tenant)
        try:
            with self._s.errors(f"reading {path!r} at {ref!r}"):
                item = git.get_item(
                    self._s.repository,
                    f"/{path}",
                    self._s.project,
                    version_descriptor=version(ref),
                    include_content=True,
                )
        except ScmNotFound:
            return None
        return str(item.content) if item.content is not None else ""

    def push_change(self, tenant: str, change: ChangeSet) -> BranchPush:
        try:
            existing: str | None = self._refs.resolve(tenant, change.branch)
        except ScmNotFound:
            existing = None
        if existing is not None:
            current = {c.path: self._text_at(tenant, c.path, existing) for c in change.changes}
            if change.matches(current):
                return BranchPush(change.branch, existing, created=False)
            raise ScmConflict(f"Azure DevOps: branch {change.branch!r} exists with other content")
        base = self._refs.resolve(tenant, change.base_branch)
        changes: list[dict[str, Any]] = []
        for c in change.changes:
            present = self._text_at(tenant, c.path, base) is not None
            if c.content is None:
                if present:
                    changes.append({"changeType": "delete", "item": {"path": f"/{c.path}"}})
                continue
            changes.append(
                {
                    "changeType": "edit" if present else "add",
                    "item": {"path": f"/{c.path}"},
                    "newContent": {"content": c.content, "contentType": "rawtext"},
                }
            )
        from azure.devops.v7_1.git.models import GitCommitRef, GitPush, GitRefUpdate

        # A new branch: its "old" object id is the base commit (as the pushes API documents).
        push = GitPush(
            ref_updates=[GitRefUpdate(name=f"refs/heads/{change.branch}", old_object_id=base)],
            commits=[GitCommitRef(comment=change.message, changes=changes)],
        )
        git = self._s.git(tenant)
        with self._s.errors(f"pushing branch {change.branch!r}"):
            result = git.create_push(push, self._s.repository, self._s.project)
        return BranchPush(change.branch, str(result.commits[-1].commit_id), created=True)

    # --- pull requests --------------------------------------------------------------------------
    def find_pull_request(self, tenant: str, branch: str) -> PullRequest | None:
        from azure.devops.v7_1.git.models import GitPullRequestSearchCriteria

        git = self._s.git(tenant)
        criteria = GitPullRequestSearchCriteria(
            source_ref_name=f"refs/heads/{branch}", status="active"
        )
        with self._s.errors(f"looking up the pull request of {branch!r}"):
            found = git.get_pull_requests(self._s.repository, criteria, self._s.project, top=1)
        return self._pull(found[0], branch, created=False) if found else None

    def open_pull_request(self, tenant: str, draft: PullRequestDraft) -> PullRequest:
        existing = self.find_pull_request(tenant, draft.branch)
        if existing is not None:
            return existing
        from azure.devops.v7_1.git.models import GitPullRequest, WebApiTagDefinition

        pr = GitPullRequest(
            source_ref_name=f"refs/heads/{draft.branch}",
            target_ref_name=f"refs/heads/{draft.base_branch}",
            title=draft.title,
            description=draft.body,
            is_draft=draft.draft,
            labels=[WebApiTagDefinition(name=label) for label in draft.labels] or None,
        )
        git = self._s.git(tenant)
        with self._s.errors(f"opening a pull request for {draft.branch!r}"):
            created = git.create_pull_request(pr, self._s.repository, self._s.project)
        return self._pull(created, draft.branch, created=True)

    # --- comments -------------------------------------------------------------------------------
    def upsert_comment(
        self, tenant: str, kind: SourceKind, source_id: str, task_id: str, body: str
    ) -> Comment:
        text = with_marker(body, validate_task_id(task_id))
        item_id = number(source_id)
        if kind is SourceKind.WORK_ITEM:
            return self._work_item_comment(tenant, item_id, task_id, text)
        if kind is SourceKind.PULL_REQUEST:
            return self._thread_comment(tenant, item_id, task_id, text)
        raise InvalidInput(f"Azure DevOps has no {kind}", code="scm-unsupported-kind")

    def _work_item_comment(self, tenant: str, item_id: int, task_id: str, text: str) -> Comment:
        from azure.devops.v7_1.work_item_tracking.models import CommentCreate, CommentUpdate

        wit, project = self._s.work_items(tenant), self._s.project
        with self._s.errors(f"commenting on work item {item_id}"):
            token = None
            while True:
                page = wit.get_comments(project, item_id, continuation_token=token)
                for c in page.comments or []:
                    if marker_task_id(str(c.text or "")) == task_id:
                        updated = wit.update_comment(CommentUpdate(text), project, item_id, c.id)
                        return work_item_comment(updated)
                token = page.continuation_token
                if not token:
                    break
            return work_item_comment(wit.add_comment(CommentCreate(text), project, item_id))

    def _thread_comment(self, tenant: str, pr_id: int, task_id: str, text: str) -> Comment:
        from azure.devops.v7_1.git.models import Comment as AdoComment
        from azure.devops.v7_1.git.models import GitPullRequestCommentThread

        git, repo, project = self._s.git(tenant), self._s.repository, self._s.project
        with self._s.errors(f"commenting on pull request {pr_id}"):
            for thread in git.get_threads(repo, pr_id, project) or []:
                for c in thread.comments or []:
                    if marker_task_id(str(c.content or "")) == task_id:
                        updated = git.update_comment(
                            AdoComment(content=text), repo, pr_id, thread.id, c.id, project
                        )
                        return thread_comment(thread.id, updated)
            # "closed": a status report, not a review finding that blocks completion policies.
            thread = GitPullRequestCommentThread(
                comments=[AdoComment(content=text, comment_type="text")], status="closed"
            )
            created = git.create_thread(thread, repo, pr_id, project)
            return thread_comment(created.id, created.comments[0])
