"""Reading a GitHub repository and its issues / pull requests."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING

from shared.adapters.scm.github.session import GithubSession, issue_number
from shared.domain.errors import ScmNotFound
from shared.domain.scm import (
    Comment,
    FileContent,
    ReadLimits,
    RepositoryTree,
    SkipReason,
    SourceItem,
    TreeEntry,
    validate_path,
)
from shared.domain.task import SourceKind
from shared.ports.scm import RepositoryReader, SourceReader

if TYPE_CHECKING:
    from github.ContentFile import ContentFile
    from github.IssueComment import IssueComment
    from github.Repository import Repository


def file_bytes(repo: Repository, found: ContentFile) -> bytes:
    """A contents-API file's bytes (call inside ``GithubSession.errors``)."""
    if found.encoding == "base64":
        return found.decoded_content
    # The contents API leaves files over 1 MB empty: their blob has the bytes.
    return base64.b64decode(repo.get_git_blob(found.sha).content)


def to_comment(comment: IssueComment) -> Comment:
    return Comment(
        id=str(comment.id),
        author=comment.user.login if comment.user else "",
        body=comment.body or "",
        created_at=comment.created_at,
        url=comment.html_url or "",
    )


class GithubReader(SourceReader, RepositoryReader):
    """Issues and pull requests through the issues API (a pull request is an issue there);
    trees through the Git Data API; files through the contents API."""

    def __init__(self, session: GithubSession, limits: ReadLimits) -> None:
        self._s = session
        self._limits = limits

    def get_source(self, tenant: str, kind: SourceKind, source_id: str) -> SourceItem:
        number = issue_number(kind, source_id)
        repo = self._s.repo(tenant)
        with self._s.errors(f"reading {kind} #{number}"):
            issue = repo.get_issue(number)
            comments = tuple(to_comment(c) for c in issue.get_comments())
            return SourceItem(
                kind=kind,
                id=str(number),
                title=issue.title,
                body=issue.body or "",
                author=issue.user.login if issue.user else "",
                labels=tuple(label.name for label in issue.labels),
                comments=comments,
                url=issue.html_url,
            )

    def default_branch(self, tenant: str) -> str:
        repo = self._s.repo(tenant)
        with self._s.errors("reading the repository"):
            return repo.default_branch

    def list_tree(self, tenant: str, ref: str) -> RepositoryTree:
        repo = self._s.repo(tenant)
        with self._s.errors(f"listing the tree at {ref!r}"):
            commit = repo.get_commit(ref)
            tree = repo.get_git_tree(commit.commit.tree.sha, recursive=True)
            entries: list[TreeEntry] = []
            truncated = bool(tree.raw_data.get("truncated", False))
            for element in tree.tree:
                if element.type != "blob":
                    continue
                if len(entries) >= self._limits.max_tree_entries:
                    truncated = True
                    break
                too_large = element.size is not None and element.size > self._limits.max_file_bytes
                entries.append(
                    TreeEntry(
                        element.path,
                        element.size,
                        element.sha,
                        SkipReason.TOO_LARGE if too_large else None,
                    )
                )
            return RepositoryTree(ref, commit.sha, tuple(entries), truncated)

    def read_file(self, tenant: str, ref: str, path: str) -> FileContent:
        validate_path(path)
        repo = self._s.repo(tenant)
        with self._s.errors(f"reading {path!r} at {ref!r}"):
            found = repo.get_contents(path, ref=ref)
            if isinstance(found, list) or found.type != "file":
                raise ScmNotFound(f"GitHub: {path!r} is not a file at {ref!r}")
            if found.size > self._limits.max_file_bytes:
                return FileContent.skipped_file(path, found.sha, found.size, SkipReason.TOO_LARGE)
            return FileContent.from_bytes(path, found.sha, file_bytes(repo, found), self._limits)
