"""GitHub.com and GitHub Enterprise through PyGithub (PAT or GitHub App installation token)."""

from __future__ import annotations

from shared.adapters.scm.github.permissions import GithubPermissions
from shared.adapters.scm.github.reading import GithubReader
from shared.adapters.scm.github.reviews import GithubReviews
from shared.adapters.scm.github.session import GithubSession
from shared.adapters.scm.github.writing import GithubWriter
from shared.domain.scm import ReadLimits, ScmConnection
from shared.ports.scm import Scm
from shared.ports.secrets import SecretStore


def github_scm(
    connection: ScmConnection, secrets: SecretStore, limits: ReadLimits, timeout_s: float
) -> Scm:
    session = GithubSession(connection, secrets, timeout_s=timeout_s)
    reader, writer = GithubReader(session, limits), GithubWriter(session)
    permissions = GithubPermissions(session)
    return Scm(reader, reader, writer, writer, writer, permissions, GithubReviews(session))


__all__ = [
    "GithubPermissions",
    "GithubReader",
    "GithubReviews",
    "GithubSession",
    "GithubWriter",
    "github_scm",
]
