"""Writing to GitHub: a branch with one commit (Git Data API), a pull request, one comment."""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.adapters.scm.github.reading import file_bytes, to_comment
from shared.adapters.scm.github.session import GithubSession, issue_number
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
    from github.PullRequest import PullRequest as GithubPull
    from github.Repository import Repository

_FILE_MODE = "100644"


def _pull(pull: GithubPull, branch: str, *, created: bool) -> PullRequest:
    # Only open pull requests are looked up or created here, so ``state`` is all we need (the
    # ``merged`` flag is not in list responses and would cost PyGithub one more request).
    return PullRequest(pull.number, pull.html_url, branch, pull.title, pull.state, created)


class GithubWriter(BranchWriter, PullRequestWriter, CommentWriter):
    def __init__(self, session: GithubSession) -> None:
        self._s = session

    # --- branch -------------------------------------------------------------------------------
    def _branch_sha(self, repo: Repository, branch: str) -> str | None:
        try:
            with self._s.errors(f"looking up branch {branch!r}"):
                return repo.get_git_ref(f"heads/{branch}").object.sha
        except ScmNotFound:
            return None

    def _text_at(self, repo: Repository, path: str, ref: str) -> str | None:
        try:
            with self._s.errors(f"reading {path!r} at {ref!r}"):
                found = repo.get_contents(path, ref=ref)
                if isinstance(found, list):
                    return None
                return file_bytes(repo, found).decode("utf-8", errors="replace")
        except ScmNotFound:
            return None

    def push_change(self, tenant: str, change: ChangeSet) -> BranchPush:
        from github.InputGitAuthor import InputGitAuthor
        from github.InputGitTreeElement import InputGitTreeElement

        repo = self._s.repo(tenant)
        existing = self._branch_sha(repo, change.branch)
        if existing is not None:
            current = {c.path: self._text_at(repo, c.path, change.branch) for c in change.changes}
            if change.matches(current):
                return BranchPush(change.branch, existing, created=False)
            raise ScmConflict(f"GitHub: branch {change.branch!r} exists with other content")
        with self._s.errors(f"pushing branch {change.branch!r}"):
            base_sha = repo.get_git_ref(f"heads/{change.base_branch}").object.sha
            base = repo.get_git_commit(base_sha)
            # Modes of the paths we touch, so an executable stays executable.
            modes = {
                e.path: e.mode
                for e in repo.get_git_tree(base.tree.sha, recursive=True).tree
                if e.type == "blob"
            }
            elements = [
                InputGitTreeElement(c.path, modes[c.path], "blob", sha=None)
                if c.content is None
                else InputGitTreeElement(
                    c.path, modes.get(c.path, _FILE_MODE), "blob", content=c.content
                )
                for c in change.changes
                if c.content is not None or c.path in modes
            ]
            tree = repo.create_git_tree(elements, base_tree=base.tree)
            author = InputGitAuthor(change.author_name, change.author_email)
            commit = repo.create_git_commit(change.message, tree, [base], author=author)
            repo.create_git_ref(f"refs/heads/{change.branch}", commit.sha)
            return BranchPush(change.branch, commit.sha, created=True)

    # --- pull requests --------------------------------------------------------------------------
    def find_pull_request(self, tenant: str, branch: str) -> PullRequest | None:
        repo = self._s.repo(tenant)
        with self._s.errors(f"looking up the pull request of {branch!r}"):
            pulls = repo.get_pulls(state="open", head=f"{self._s.owner}:{branch}")
            first = next(iter(pulls), None)
            return _pull(first, branch, created=False) if first is not None else None

    def open_pull_request(self, tenant: str, draft: PullRequestDraft) -> PullRequest:
        existing = self.find_pull_request(tenant, draft.branch)
        if existing is not None:
            return existing
        repo = self._s.repo(tenant)
        with self._s.errors(f"opening a pull request for {draft.branch!r}"):
            pull = repo.create_pull(
                base=draft.base_branch,
                head=draft.branch,
                title=draft.title,
                body=draft.body,
                draft=draft.draft,
            )
            if draft.labels:
                pull.add_to_labels(*draft.labels)
            return _pull(pull, draft.branch, created=True)

    # --- comments -------------------------------------------------------------------------------
    def upsert_comment(
        self, tenant: str, kind: SourceKind, source_id: str, task_id: str, body: str
    ) -> Comment:
        number = issue_number(kind, source_id)
        text = with_marker(body, validate_task_id(task_id))
        repo = self._s.repo(tenant)
        with self._s.errors(f"commenting on {kind} #{number}"):
            issue = repo.get_issue(number)
            for comment in issue.get_comments():
                if marker_task_id(comment.body or "") == task_id:
                    comment.edit(text)
                    return to_comment(comment)
            return to_comment(issue.create_comment(text))
