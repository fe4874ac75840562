"""Tenants' SCM connections: which repository, where, and the NAME of the secret holding its
credentials (never the secret)."""

from __future__ import annotations

from typing import Protocol

from shared.domain.scm import ScmConnection


class ConnectionDirectory(Protocol):
    def get(self, tenant: str, provider: str, repository: str) -> ScmConnection:
        """The tenant's connection for events of ``provider`` about ``repository``, or
        ``NotFound`` (code ``no-scm-connection``): a task for an unconnected repository cannot
        proceed."""
        ...

    def register(
        self,
        connection: ScmConnection,
        *,
        event_provider: str | None = None,
        event_repository: str | None = None,
    ) -> None:
        """Create or replace the connection for events of ``event_provider`` about
        ``event_repository`` (defaults: the connection's own provider and repository)."""
        ...
