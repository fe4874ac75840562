"""GitLab.com and self-hosted GitLab through python-gitlab (personal, project or group tokens)."""

from __future__ import annotations

from shared.adapters.scm.gitlab.permissions import GitlabPermissions
from shared.adapters.scm.gitlab.reading import GitlabReader
from shared.adapters.scm.gitlab.review import GitlabReviews
from shared.adapters.scm.gitlab.session import GitlabSession
from shared.adapters.scm.gitlab.writing import GitlabWriter
from shared.domain.scm import ReadLimits, ScmConnection
from shared.ports.scm import Scm
from shared.ports.secrets import SecretStore


def gitlab_scm(
    connection: ScmConnection, secrets: SecretStore, limits: ReadLimits, timeout_s: float
) -> Scm:
    session = GitlabSession(connection, secrets, timeout_s=timeout_s)
    reader, writer = GitlabReader(session, limits), GitlabWriter(session)
    permissions, reviews = GitlabPermissions(session), GitlabReviews(session, limits)
    return Scm(reader, reader, writer, writer, writer, permissions, reviews)


__all__ = [
    "GitlabPermissions",
    "GitlabReader",
    "GitlabReviews",
    "GitlabSession",
    "GitlabWriter",
    "gitlab_scm",
]
