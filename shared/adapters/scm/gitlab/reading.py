"""Reading a GitLab project, its issues and merge requests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.adapters.scm.gitlab.session import GitlabSession
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


def to_comment(note: dict[str, Any], web_url: str = "") -> Comment:
    created = note.get("created_at")
    return Comment(
        id=str(note["id"]),
        author=str((note.get("author") or {}).get("username", "")),
        body=str(note.get("body") or ""),
        created_at=datetime.fromisoformat(created) if isinstance(created, str) else None,
        url=f"{web_url}#note_{note['id']}" if web_url else "",
    )


class GitlabReader(SourceReader, RepositoryReader):
    """Issues and merge requests with their notes (system notes left out); trees through the
    repository tree API (which gives no sizes); files through the repository files API, HEAD
    first so that an oversized file is never downloaded."""

    def __init__(self, session: GitlabSession, limits: ReadLimits) -> None:
        self._s = session
        self._limits = limits

    def get_source(self, tenant: str, kind: SourceKind, source_id: str) -> SourceItem:
        with self._s.errors(f"reading {kind} !{source_id}"):
            item = self._s.target(tenant, kind, source_id, lazy=False)
            notes = item.notes.list(iterator=True, sort="asc", order_by="created_at")
            comments = tuple(
                to_comment(n.attributes, item.web_url)
                for n in notes
                if not n.attributes.get("system")
            )
            return SourceItem(
                kind=kind,
                id=source_id,
                title=item.title,
                body=item.description or "",
                author=str(item.author.get("username", "")),
                labels=tuple(item.labels),
                comments=comments,
                url=item.web_url,
            )

    def default_branch(self, tenant: str) -> str:
        with self._s.errors("reading the project"):
            return str(self._s.fetch_project(tenant).default_branch)

    def list_tree(self, tenant: str, ref: str) -> RepositoryTree:
        project = self._s.project(tenant)
        with self._s.errors(f"listing the tree at {ref!r}"):
            commit_sha = str(project.commits.get(ref).id)
            entries: list[TreeEntry] = []
            truncated = False
            listing = project.repository_tree(
                ref=commit_sha, recursive=True, iterator=True, per_page=100
            )
            for item in listing:
                if item["type"] != "blob":
                    continue
                if len(entries) >= self._limits.max_tree_entries:
                    truncated = True
                    break
                entries.append(TreeEntry(str(item["path"]), None, str(item["id"])))
            return RepositoryTree(ref, commit_sha, tuple(entries), truncated)

    def read_file(self, tenant: str, ref: str, path: str) -> FileContent:
        validate_path(path)
        project = self._s.project(tenant)
        with self._s.errors(f"reading {path!r} at {ref!r}"):
            head = project.files.head(path, ref=ref)
            size = int(head.get("X-Gitlab-Size", "0"))
            sha = str(head.get("X-Gitlab-Blob-Id", ""))
            if size > self._limits.max_file_bytes:
                return FileContent.skipped_file(path, sha, size, SkipReason.TOO_LARGE)
            data = project.files.raw(path, ref=ref)
            if not isinstance(data, bytes):
                raise ScmNotFound(f"GitLab: {path!r} gave no content at {ref!r}")
            return FileContent.from_bytes(path, sha, data, self._limits)
