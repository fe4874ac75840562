"""Reading Azure DevOps: work items and pull requests with their discussion, Azure Repos trees
and files."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from shared.adapters.scm.azure_devops.session import AdoSession
from shared.domain.errors import InvalidInput, ScmNotFound
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

_SHA = re.compile(r"^[0-9a-f]{40}$")


def identity_name(identity: Any) -> str:
    """``uniqueName`` (or display name) of an IdentityRef, a model or a plain dict."""
    if identity is None:
        return ""
    if isinstance(identity, dict):
        return str(identity.get("uniqueName") or identity.get("displayName") or "")
    return str(getattr(identity, "unique_name", None) or getattr(identity, "display_name", ""))


def version(ref: str) -> Any:
    from azure.devops.v7_1.git.models import GitVersionDescriptor

    kind = "commit" if _SHA.fullmatch(ref) else "branch"
    return GitVersionDescriptor(version=ref, version_type=kind)


def number(source_id: str) -> int:
    if not source_id.isdigit():
        raise InvalidInput(f"Azure DevOps ids are digits, not {source_id!r}")
    return int(source_id)


def work_item_comment(comment: Any) -> Comment:
    created = comment.created_date
    return Comment(
        id=str(comment.id),
        author=identity_name(comment.created_by),
        body=str(comment.text or ""),
        created_at=created if isinstance(created, datetime) else None,
    )


def thread_comment(thread_id: int, comment: Any) -> Comment:
    published = comment.published_date
    return Comment(
        id=f"{thread_id}/{comment.id}",
        author=identity_name(comment.author),
        body=str(comment.content or ""),
        created_at=published if isinstance(published, datetime) else None,
    )


class AdoReader(SourceReader, RepositoryReader):
    """Work items (System.Title, System.Description, System.Tags) with their comments; pull
    requests with their threads (system comments left out); trees and blobs of Azure Repos."""

    def __init__(self, session: AdoSession, limits: ReadLimits) -> None:
        self._s = session
        self._limits = limits

    def get_source(self, tenant: str, kind: SourceKind, source_id: str) -> SourceItem:
        item_id = number(source_id)
        if kind is SourceKind.WORK_ITEM:
            return self._work_item(tenant, item_id)
        if kind is SourceKind.PULL_REQUEST:
            return self._pull_request(tenant, item_id)
        raise InvalidInput(f"Azure DevOps has no {kind}", code="scm-unsupported-kind")

    def _work_item(self, tenant: str, item_id: int) -> SourceItem:
        wit = self._s.work_items(tenant)
        with self._s.errors(f"reading work item {item_id}"):
            fields = wit.get_work_item(item_id, self._s.project).fields or {}
            comments: list[Comment] = []
            token = None
            while True:
                page = wit.get_comments(self._s.project, item_id, continuation_token=token)
                comments.extend(work_item_comment(c) for c in page.comments or [])
                token = page.continuation_token
                if not token:
                    break
        tags = str(fields.get("System.Tags") or "")
        return SourceItem(
            kind=SourceKind.WORK_ITEM,
            id=str(item_id),
            title=str(fields.get("System.Title", "")),
            body=str(fields.get("System.Description") or ""),
            author=identity_name(fields.get("System.CreatedBy")),
            labels=tuple(t.strip() for t in tags.split(";") if t.strip()),
            comments=tuple(comments),
            url=self._s.web_url(f"_workitems/edit/{item_id}"),
        )

    def _pull_request(self, tenant: str, pr_id: int) -> SourceItem:
        git = self._s.git(tenant)
        with self._s.errors(f"reading pull request {pr_id}"):
            pr = git.get_pull_request_by_id(pr_id, self._s.project)
            threads = git.get_threads(self._s.repository, pr_id, self._s.project)
        comments = tuple(
            thread_comment(t.id, c)
            for t in threads or []
            for c in t.comments or []
            if c.comment_type != "system" and not c.is_deleted
        )
        return SourceItem(
            kind=SourceKind.PULL_REQUEST,
            id=str(pr_id),
            title=str(pr.title or ""),
            body=str(pr.description or ""),
            author=identity_name(pr.created_by),
            labels=tuple(str(label.name) for label in pr.labels or []),
            comments=comments,
            url=self._s.web_url(f"_git/{self._s.repository}/pullrequest/{pr_id}"),
        )

    def default_branch(self, tenant: str) -> str:
        git = self._s.git(tenant)
        with self._s.errors("reading the repository"):
            repo = git.get_repository(self._s.repository, self._s.project)
        return str(repo.default_branch or "").removeprefix("refs/heads/")

    def resolve(self, tenant: str, ref: str) -> str:
        """The commit id of a branch name (or of a commit id, as is)."""
        if _SHA.fullmatch(ref):
            return ref
        git = self._s.git(tenant)
        with self._s.errors(f"resolving {ref!r}"):
            refs = git.get_refs(self._s.repository, self._s.project, filter=f"heads/{ref}")
        for found in refs or []:
            if found.name == f"refs/heads/{ref}":
                return str(found.object_id)
        raise ScmNotFound(f"Azure DevOps: no branch {ref!r}")

    def list_tree(self, tenant: str, ref: str) -> RepositoryTree:
        commit_sha = self.resolve(tenant, ref)
        git = self._s.git(tenant)
        with self._s.errors(f"listing the tree at {ref!r}"):
            commit = git.get_commit(commit_sha, self._s.repository, self._s.project)
            tree = git.get_tree(self._s.repository, commit.tree_id, self._s.project, recursive=True)
        entries: list[TreeEntry] = []
        truncated = False
        for e in tree.tree_entries or []:
            if e.git_object_type != "blob":
                continue
            if len(entries) >= self._limits.max_tree_entries:
                truncated = True
                break
            size = int(e.size) if e.size is not None else None
            too_large = size is not None and size > self._limits.max_file_bytes
            reason = SkipReason.TOO_LARGE if too_large else None
            entries.append(TreeEntry(str(e.relative_path), size, str(e.object_id), reason))
        return RepositoryTree(ref, commit_sha, tuple(entries), truncated)

    def read_file(self, tenant: str, ref: str, path: str) -> FileContent:
        validate_path(path)
        git = self._s.git(tenant)
        repo, project = self._s.repository, self._s.project
        with self._s.errors(f"reading {path!r} at {ref!r}"):
            item = git.get_item(repo, f"/{path}", project, version_descriptor=version(ref))
            if item.git_object_type != "blob":
                raise ScmNotFound(f"Azure DevOps: {path!r} is not a file at {ref!r}")
        return self.read_blob(tenant, path, str(item.object_id))

    def read_blob(self, tenant: str, path: str, sha: str) -> FileContent:
        """The blob ``sha`` (the content of ``path`` somewhere), its size asked first so that
        an oversized blob is never downloaded."""
        git = self._s.git(tenant)
        repo, project = self._s.repository, self._s.project
        with self._s.errors(f"reading {path!r} ({sha[:12]})"):
            size = int(git.get_blob(repo, sha, project).size or 0)
            if size > self._limits.max_file_bytes:
                return FileContent.skipped_file(path, sha, size, SkipReason.TOO_LARGE)
            data = b"".join(git.get_blob_content(repo, sha, project, download=False))
        return FileContent.from_bytes(path, sha, data, self._limits)
