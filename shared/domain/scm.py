"""What the patch flow reads from and writes to a source-control system, whatever the vendor.

These are the only types that cross the SCM ports (``shared.ports.scm``): adapters map GitHub,
GitLab, Azure DevOps and local git objects into them, so services never see an SDK object.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from shared.domain.errors import InvalidInput
from shared.domain.task import Provider, SourceKind

#: Git's own rule for "binary": a NUL byte within the first 8 KiB.
BINARY_SNIFF_BYTES = 8 * 1024
DEFAULT_MAX_FILE_BYTES = 1024 * 1024
DEFAULT_MAX_TREE_ENTRIES = 100_000

_MARKER = re.compile(r"<!-- ai-code-agent:task=([A-Za-z0-9._:-]+) -->")
_TASK_ID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")


class ScmAuth(StrEnum):
    """How a connection authenticates; the secret itself lives in the SecretStore."""

    TOKEN = "token"  # noqa: S105 - a kind of credential, not one. PAT, project/group token, OAuth token: the secret is the token
    GITHUB_APP = "github-app"  # the secret is the App's private key (PEM)
    ENTRA = "entra"  # Azure DevOps with an Entra ID access token from azure-identity


@dataclass(frozen=True)
class ScmConnection:
    """One tenant's connection to one repository.

    ``base_url``: API root for self-hosted servers (GitHub Enterprise ``https://host/api/v3``,
    GitLab ``https://host``, Azure DevOps organisation or collection URL); for ``local_git`` the
    directory holding the bare repositories. ``repository``: ``owner/name`` (GitHub),
    ``group/project`` (GitLab), ``project/repository`` (Azure DevOps) or a path under the root
    (local_git). ``token_secret`` names a SecretStore entry, never the secret. ``options`` holds
    non-secret auth details (``app_id``, ``installation_id``).
    """

    tenant: str
    provider: Provider
    repository: str
    base_url: str | None = None
    token_secret: str | None = None
    auth: ScmAuth = ScmAuth.TOKEN
    options: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ReadLimits:
    """Bounds on what reading a repository may pull into memory."""

    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    max_tree_entries: int = DEFAULT_MAX_TREE_ENTRIES


class SkipReason(StrEnum):
    """Why a file's content is not offered to the patch flow."""

    BINARY = "binary"
    TOO_LARGE = "too-large"
    NOT_UTF8 = "not-utf-8"  # text the agent could not write back byte-for-byte


def is_binary(head: bytes) -> bool:
    """True when ``head`` (a file's first bytes) has a NUL within the first 8 KiB."""
    return b"\x00" in head[:BINARY_SNIFF_BYTES]


def skip_reason(size: int | None, head: bytes | None, limits: ReadLimits) -> SkipReason | None:
    """Why to skip a file of ``size`` bytes starting with ``head`` (either may be unknown)."""
    if size is not None and size > limits.max_file_bytes:
        return SkipReason.TOO_LARGE
    if head is not None and is_binary(head):
        return SkipReason.BINARY
    return None


@dataclass(frozen=True)
class Comment:
    id: str
    author: str
    body: str
    created_at: datetime | None = None
    url: str = ""

    @property
    def task_id(self) -> str | None:
        """The task whose marker this comment carries, if the agent wrote it."""
        return marker_task_id(self.body)


@dataclass(frozen=True)
class SourceItem:
    """An issue, work item or pull/merge request, with its discussion."""

    kind: SourceKind
    id: str
    title: str
    body: str
    author: str
    labels: tuple[str, ...] = ()
    comments: tuple[Comment, ...] = ()
    url: str = ""


@dataclass(frozen=True, slots=True)
class TreeEntry:
    """A file in a tree. ``size`` is None where the server does not say (GitLab tree listings);
    ``skipped`` is set where the adapter can tell without offering the content."""

    path: str
    size: int | None
    sha: str
    skipped: SkipReason | None = None


@dataclass(frozen=True)
class RepositoryTree:
    """Every file at ``commit_sha`` (``ref`` resolved); ``truncated`` when the listing stopped
    at ``ReadLimits.max_tree_entries`` or the server cut it short."""

    ref: str
    commit_sha: str
    entries: tuple[TreeEntry, ...]
    truncated: bool = False


@dataclass(frozen=True)
class FileContent:
    """A file's text, or why it was skipped (then ``text`` is None)."""

    path: str
    sha: str
    size: int
    text: str | None
    skipped: SkipReason | None = None

    @classmethod
    def from_bytes(cls, path: str, sha: str, data: bytes, limits: ReadLimits) -> FileContent:
        """Classify and decode a whole file's bytes."""
        reason = skip_reason(len(data), data, limits)
        if reason is None:
            try:
                return cls(path, sha, len(data), data.decode("utf-8"))
            except UnicodeDecodeError:
                reason = SkipReason.NOT_UTF8
        return cls(path, sha, len(data), None, reason)

    @classmethod
    def skipped_file(cls, path: str, sha: str, size: int, reason: SkipReason) -> FileContent:
        """A file skipped before its content was fetched."""
        return cls(path, sha, size, None, reason)


def validate_path(path: str) -> str:
    """A repository-relative POSIX path without ``..``, ``.git`` or a leading slash."""
    normal = posixpath.normpath(path) if path else ""
    parts = normal.split("/")
    if (
        not path
        or normal != path
        or path.startswith("/")
        or any(p in {"", ".", "..", ".git"} for p in parts)
        or "\x00" in path
    ):
        raise InvalidInput(f"invalid repository path {path!r}", code="invalid-path")
    return path


@dataclass(frozen=True)
class FileChange:
    """New text of ``path``, or None to delete it."""

    path: str
    content: str | None

    def __post_init__(self) -> None:
        validate_path(self.path)

    @property
    def deleted(self) -> bool:
        return self.content is None


@dataclass(frozen=True)
class ChangeSet:
    """One commit on ``branch``, started from ``base_branch``."""

    branch: str
    base_branch: str
    message: str
    changes: tuple[FileChange, ...]
    author_name: str = "AI Code Agent"
    author_email: str = "ai-code-agent@users.noreply.invalid"

    def __post_init__(self) -> None:
        if not self.changes:
            raise InvalidInput("a change set needs at least one file change", code="empty-change")
        paths = [c.path for c in self.changes]
        if len(set(paths)) != len(paths):
            raise InvalidInput("a change set names a path twice", code="duplicate-path")
        for name in (self.branch, self.base_branch):
            validate_branch(name)

    def matches(self, current: Mapping[str, str | None]) -> bool:
        """True when ``current`` (path -> text on an existing branch, None if absent) already
        holds exactly this change: the branch can be reused instead of being a conflict."""
        return all(current.get(c.path) == c.content for c in self.changes)


_BRANCH = re.compile(r"^(?!/)(?!.*//)(?!.*\.\.)(?!.*@\{)[A-Za-z0-9._/-]{1,200}(?<![/.])$")


def validate_branch(name: str) -> str:
    """A branch name that every supported SCM accepts (a safe subset of git's rules)."""
    if not _BRANCH.fullmatch(name) or name.endswith(".lock") or name.startswith("-"):
        raise InvalidInput(f"invalid branch name {name!r}", code="invalid-branch")
    return name


@dataclass(frozen=True)
class BranchPush:
    """The outcome of writing a change set: ``created`` is False when an identical branch was
    reused."""

    branch: str
    commit_sha: str
    created: bool


@dataclass(frozen=True)
class PullRequestDraft:
    """What to open: ``branch`` into ``base_branch``; ``draft`` where the SCM has drafts."""

    branch: str
    base_branch: str
    title: str
    body: str
    labels: tuple[str, ...] = ()
    draft: bool = False

    def __post_init__(self) -> None:
        validate_branch(self.branch)
        validate_branch(self.base_branch)
        if not self.title.strip():
            raise InvalidInput("a pull request needs a title", code="empty-title")


@dataclass(frozen=True)
class PullRequest:
    """A pull/merge request; ``created`` is False when an open one for the branch was reused."""

    number: int
    url: str
    branch: str
    title: str
    state: str
    created: bool = False


def validate_task_id(task_id: str) -> str:
    if not _TASK_ID.fullmatch(task_id):
        raise InvalidInput(f"invalid task id {task_id!r}", code="invalid-task-id")
    return task_id


def agent_branch(task_id: str) -> str:
    """The deterministic branch of a task: a second run finds the first run's branch."""
    return f"agent/{validate_task_id(task_id)}"


def comment_marker(task_id: str) -> str:
    """The hidden marker that lets the agent find (and update) its own comment."""
    return f"<!-- ai-code-agent:task={validate_task_id(task_id)} -->"


def with_marker(body: str, task_id: str) -> str:
    """``body`` carrying the task's marker exactly once, at the end."""
    marker = comment_marker(task_id)
    text = _MARKER.sub("", body).rstrip()
    return f"{text}\n\n{marker}" if text else marker


def marker_task_id(body: str) -> str | None:
    match = _MARKER.search(body)
    return match.group(1) if match else None
