"""Tenants' SCM connections (``platform.scm_connections``): which repository, where, and the
NAME of the secret holding its credentials (never the secret).

A connection is found by the provider that SENT the event and the repository it names; it may be
served by another backend (``ScmConnection.provider``): an on-prem or edge tenant receives
GitHub-format webhooks for a repository that lives in ``local_git``. The name an event gives may
also differ from the repository: an Azure DevOps work item names only its team project, whose
connection says which ``project/repository`` its tasks change.
"""

from __future__ import annotations

import json

from shared.adapters.store.postgres.database import Database
from shared.domain.errors import NotFound
from shared.domain.scm import ScmAuth, ScmConnection
from shared.domain.task import Provider


class PostgresConnectionDirectory:
    def __init__(self, db: Database) -> None:
        self._db = db

    def register(
        self,
        connection: ScmConnection,
        *,
        event_provider: str | None = None,
        event_repository: str | None = None,
    ) -> None:
        """Create or replace the connection for events of ``event_provider`` about
        ``event_repository`` (defaults: the connection's own provider and repository)."""
        settings = {
            "auth": str(connection.auth),
            "options": dict(connection.options),
            "backend": str(connection.provider),
            "repository": connection.repository,
        }
        with self._db.connection() as conn:
            conn.execute(
                """INSERT INTO platform.scm_connections
                       (tenant, provider, name, base_url, settings, token_secret)
                   VALUES (%s, %s, %s, %s, %s, %s)
                   ON CONFLICT (tenant, provider, name) DO UPDATE SET
                       base_url = EXCLUDED.base_url, settings = EXCLUDED.settings,
                       token_secret = EXCLUDED.token_secret""",
                (
                    connection.tenant,
                    event_provider or str(connection.provider),
                    event_repository or connection.repository,
                    connection.base_url,
                    json.dumps(settings),
                    connection.token_secret,
                ),
            )

    def get(self, tenant: str, provider: str, repository: str) -> ScmConnection:
        """The tenant's connection to ``repository``, or ``NotFound`` (code
        ``no-scm-connection``): a task for an unconnected repository cannot proceed."""
        with self._db.connection() as conn:
            row = conn.execute(
                "SELECT base_url, settings, token_secret FROM platform.scm_connections "
                "WHERE tenant = %s AND provider = %s AND name = %s",
                (tenant, provider, repository),
            ).fetchone()
        if row is None:
            raise NotFound(
                f"tenant {tenant!r} has no {provider} connection for {repository!r}",
                code="no-scm-connection",
            )
        settings = row["settings"] if isinstance(row["settings"], dict) else {}
        return ScmConnection(
            tenant=tenant,
            provider=Provider(settings.get("backend", provider)),
            repository=str(settings.get("repository") or repository),
            base_url=None if row["base_url"] is None else str(row["base_url"]),
            token_secret=None if row["token_secret"] is None else str(row["token_secret"]),
            auth=ScmAuth(settings.get("auth", ScmAuth.TOKEN)),
            options={str(k): str(v) for k, v in settings.get("options", {}).items()},
        )
