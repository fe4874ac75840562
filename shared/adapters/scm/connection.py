"""What every adapter of a connection shares: the tenant guard and the lazily fetched secret."""

from __future__ import annotations

from shared.domain.errors import ConfigurationError, NotFound, PermissionDenied
from shared.domain.scm import ScmConnection
from shared.ports.secrets import SecretStore


class BoundConnection:
    """A tenant's connection with access to its secret.

    The secret is read from the SecretStore on first use, not at construction (constructors do no
    I/O), and is never put in a message or a log.
    """

    def __init__(self, connection: ScmConnection, secrets: SecretStore | None) -> None:
        self.connection = connection
        self._secrets = secrets

    def check(self, tenant: str) -> None:
        """Refuse a tenant other than the connection's: adapters never cross tenants."""
        if tenant != self.connection.tenant:
            raise PermissionDenied(
                f"SCM connection of tenant {self.connection.tenant!r} used for {tenant!r}",
                code="scm-wrong-tenant",
            )

    def secret(self, tenant: str) -> str:
        self.check(tenant)
        name = self.connection.token_secret
        if not name or self._secrets is None:
            raise ConfigurationError(
                f"{self.connection.provider} connection of {tenant!r} names no token secret"
            )
        try:
            return self._secrets.get(tenant, name)
        except NotFound as exc:
            raise ConfigurationError(
                f"secret {name!r} of tenant {tenant!r} is missing from the secret store"
            ) from exc

    def option(self, name: str) -> str:
        value = self.connection.options.get(name)
        if not value:
            raise ConfigurationError(
                f"{self.connection.provider} connection of {self.connection.tenant!r} "
                f"needs option {name!r}"
            )
        return value

    def repository_parts(self) -> tuple[str, str]:
        """``owner/name`` (or ``project/repository``) split at the last slash."""
        owner, _, name = self.connection.repository.rpartition("/")
        if not owner or not name:
            raise ConfigurationError(
                f"repository {self.connection.repository!r} must look like 'owner/name'"
            )
        return owner, name
