"""local_git: bare repositories on disk, pull requests and issues in the tenant's schema."""

from __future__ import annotations

from pathlib import Path

from shared.adapters.scm.local_git.adapter import (
    AGENT_AUTHOR,
    LocalGit,
    LocalGitReader,
    LocalGitWriter,
    repository_path,
)
from shared.adapters.scm.local_git.collaborators import LocalCollaborators, LocalGitPermissions
from shared.adapters.scm.local_git.records import LocalIssues
from shared.adapters.scm.local_git.reviews import LocalGitReviews
from shared.adapters.store.postgres.database import Database
from shared.domain.scm import ReadLimits, ScmConnection
from shared.ports.scm import Scm
from shared.ports.tenants import TenantDirectory


def local_git_scm(
    connection: ScmConnection,
    db: Database,
    tenants: TenantDirectory,
    limits: ReadLimits,
    root: Path,
) -> Scm:
    local = LocalGit(connection, LocalIssues(db, tenants), root)
    reader, writer = LocalGitReader(local, limits), LocalGitWriter(local)
    permissions = LocalGitPermissions(local.bound, LocalCollaborators(db, tenants), AGENT_AUTHOR)
    return Scm(reader, reader, writer, writer, writer, permissions, LocalGitReviews(local))


__all__ = [
    "LocalCollaborators",
    "LocalGit",
    "LocalGitReader",
    "LocalGitReviews",
    "LocalGitWriter",
    "LocalIssues",
    "local_git_scm",
    "repository_path",
]
