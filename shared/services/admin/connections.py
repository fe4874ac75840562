"""A tenant's SCM connections and webhook secrets, managed by its TenantAdmins.

Secrets go to the tenant's ``SecretStore`` and never come back out: a connection shows only
whether it has a token, and a rotated webhook secret is shown once, in the rotation's answer.

Rotating a webhook secret keeps the old value valid for an overlap window (both verify; after
it only the new one does), so the SCM's webhook settings can be updated without losing
deliveries. The order of writes keeps every moment covered: first the old value becomes the
previous one with its deadline, then the new value becomes current.
"""

from __future__ import annotations

import hashlib
import secrets as random
import time
from datetime import UTC, datetime
from typing import Any

from shared.auth.webhooks import rotation_deadline_name, secret_names
from shared.domain.errors import DomainError, InvalidInput, NotFound
from shared.domain.scm import ScmConnection
from shared.domain.task import Provider
from shared.ports.admin import AdminReads, ConnectionListing
from shared.ports.connections import ConnectionDirectory
from shared.ports.scm import Scm
from shared.ports.secrets import SecretStore
from shared.services.admin.access import Caller

ScmFor = Any  # Callable[[ScmConnection], Scm]
EgressCheck = Any  # Callable[[ScmConnection], None]: raises InvalidInput "base-url-not-allowed"


def _token_name(provider: str, repository: str) -> str:
    digest = hashlib.sha256(f"{provider}:{repository}".encode()).hexdigest()[:16]
    return f"scm-token-{digest}"


def _view(row: dict[str, Any]) -> dict[str, Any]:
    return {
        **{k: v for k, v in row.items() if k != "token_secret"},
        "has_token": bool(row["token_secret"]),
    }


class ConnectionAdmin:
    def __init__(
        self,
        directory: ConnectionDirectory,
        listing: ConnectionListing,
        secrets: SecretStore,
        reads: AdminReads,
        scm_for: ScmFor,
        *,
        check_egress: EgressCheck,
    ) -> None:
        self._directory = directory
        self._listing = listing
        self._secrets = secrets
        self._reads = reads
        self._scm_for = scm_for
        self._check_egress = check_egress

    def list(self, tenant: str) -> dict[str, Any]:
        return {"items": [_view(r) for r in self._listing.list(tenant)]}

    def register(self, tenant: str, body: dict[str, Any], caller: Caller) -> dict[str, Any]:
        provider, repository = body["provider"], body["repository"]
        backend = Provider(body.get("backend") or provider)
        if backend is Provider.LOCAL_GIT and body.get("base_url"):
            raise InvalidInput(
                "a local_git connection uses the platform's repository root: no base_url",
                code="invalid-connection",
            )
        token_name = _token_name(provider, repository) if body.get("token") else None
        connection = ScmConnection(
            tenant=tenant,
            provider=backend,
            repository=repository,
            base_url=body.get("base_url"),
            token_secret=token_name,
        )
        self._check_egress(connection)  # before anything is stored: a refusal leaves no trace
        if token_name is not None:
            self._secrets.set(tenant, token_name, body["token"])
        self._directory.register(connection, event_provider=provider, event_repository=repository)
        found = next(
            r
            for r in self._listing.list(tenant)
            if (r["provider"], r["repository"]) == (provider, repository)
        )
        view = _view(found)
        self._reads.record(tenant, kind="connection.registered", actor=caller.actor, data=view)
        return view

    def test(self, tenant: str, connection_id: int) -> dict[str, Any]:
        """Reach the repository with the stored credentials; the SCM's error is the answer.

        A base_url the egress policy no longer allows (its host re-pointed since registration)
        is refused with a 400 before any request leaves: the answer must not tell an attacker
        what a private address would have said."""
        connection = self._connection(tenant, connection_id)
        self._check_egress(connection)
        try:
            scm: Scm = self._scm_for(connection)
            branch = scm.repository.default_branch(tenant)
        except DomainError as exc:  # configuration errors included: they are the answer
            return {"ok": False, "default_branch": None, "error": exc.code}
        return {"ok": True, "default_branch": branch, "error": None}

    def rotate_token(self, tenant: str, connection_id: int, token: str, caller: Caller) -> None:
        connection = self._connection(tenant, connection_id)
        row = self._listing.get(tenant, connection_id)
        name = connection.token_secret or _token_name(row["provider"], row["repository"])
        self._secrets.set(tenant, name, token)
        if connection.token_secret is None:
            self._directory.register(
                ScmConnection(
                    tenant=tenant,
                    provider=connection.provider,
                    repository=connection.repository,
                    base_url=connection.base_url,
                    token_secret=name,
                    auth=connection.auth,
                    options=connection.options,
                ),
                event_provider=row["provider"],
                event_repository=row["repository"],
            )
        self._reads.record(
            tenant,
            kind="connection.token-rotated",
            actor=caller.actor,
            data={"connection": connection_id},
        )

    def rotate_webhook_secret(
        self, tenant: str, provider_name: str, overlap_seconds: int, caller: Caller
    ) -> dict[str, Any]:
        """A new secret for ``provider``'s webhooks (Azure DevOps: its header secret)."""
        provider = Provider(provider_name)
        role = "header" if provider is Provider.AZURE_DEVOPS else "main"
        current_name, previous_name = secret_names(provider)[role]
        deadline_name = rotation_deadline_name(provider)
        try:
            old = self._secrets.get(tenant, current_name)
        except NotFound:
            old = None
        until = None
        if old is not None and overlap_seconds > 0:
            deadline = time.time() + overlap_seconds
            self._secrets.set(tenant, deadline_name, repr(deadline))
            self._secrets.set(tenant, previous_name, old)
            until = datetime.fromtimestamp(deadline, UTC)
        else:
            self._secrets.delete(tenant, previous_name)
            self._secrets.delete(tenant, deadline_name)
        new = random.token_hex(32)
        self._secrets.set(tenant, current_name, new)
        self._reads.record(
            tenant,
            kind="webhook-secret.rotated",
            actor=caller.actor,
            data={"provider": provider.value, "previous_valid_until": until},
        )
        return {"provider": provider.value, "secret": new, "previous_valid_until": until}

    def _connection(self, tenant: str, connection_id: int) -> ScmConnection:
        row = self._listing.get(tenant, connection_id)
        return self._directory.get(tenant, row["provider"], row["repository"])
