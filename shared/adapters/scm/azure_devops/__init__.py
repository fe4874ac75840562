"""Azure DevOps Services and Server through the azure-devops SDK (PAT or Entra ID token)."""

from __future__ import annotations

from shared.adapters.scm.azure_devops.permissions import AdoPermissions
from shared.adapters.scm.azure_devops.reading import AdoReader
from shared.adapters.scm.azure_devops.review import AdoReviews
from shared.adapters.scm.azure_devops.session import AdoSession, TokenCredential
from shared.adapters.scm.azure_devops.writing import AdoWriter
from shared.domain.scm import ReadLimits, ScmConnection
from shared.ports.scm import Scm
from shared.ports.secrets import SecretStore


def azure_devops_scm(
    connection: ScmConnection,
    secrets: SecretStore,
    limits: ReadLimits,
    timeout_s: float,
    credential: TokenCredential | None = None,
) -> Scm:
    session = AdoSession(connection, secrets, timeout_s=timeout_s, credential=credential)
    reader, writer = AdoReader(session, limits), AdoWriter(session)
    permissions, reviews = AdoPermissions(session), AdoReviews(session, limits)
    return Scm(reader, reader, writer, writer, writer, permissions, reviews)


__all__ = [
    "AdoPermissions",
    "AdoReader",
    "AdoReviews",
    "AdoSession",
    "AdoWriter",
    "TokenCredential",
    "azure_devops_scm",
]
