"""One Azure Repos repository (Azure DevOps Services or Server) through the azure-devops SDK.

The SDK is imported inside methods only. Its msrest pipeline would retry (3 times, with back-off,
on 5xx and 429) and its errors drop status codes and headers, so each client gets a retry policy
of zero and a response hook that raises ``AdoStatusError`` for every 4xx/5xx response, mapped
here to domain errors with the server's ``Retry-After``.

The SDK would also keep every server's resource locations in a file under the home directory
for 12 hours, keyed by URL alone: shared by every tenant on the host and stale after the server
changes (or, in tests, when a port is reused). Locations are kept in each client's memory only.

Credentials: a PAT from the SecretStore (``ScmAuth.TOKEN``, HTTP basic), or an Entra ID access
token (``ScmAuth.ENTRA``) from an azure-identity credential: a client secret from the
SecretStore when the connection names ``tenant_id`` and ``client_id``, else the injected
credential (the app's managed identity by default).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol
from urllib.parse import quote

from shared.adapters.scm.connection import BoundConnection
from shared.adapters.scm.errors import http_error, transport_error
from shared.domain.errors import ConfigurationError, ScmAuthError, ScmError
from shared.domain.scm import ScmAuth, ScmConnection
from shared.ports.secrets import SecretStore

#: Azure DevOps' application id: the scope of Entra ID tokens for its REST API.
ADO_SCOPE = "499b84ac-1321-427f-aa17-267ca6975798/.default"
_TOKEN_MARGIN_S = 300


class TokenCredential(Protocol):
    """azure-core's credential protocol (what azure-identity's credentials implement)."""

    def get_token(self, *scopes: str) -> Any: ...


def identity_url(base_url: str) -> str:
    """Where identities live: ``vssps.dev.azure.com/<org>`` for Azure DevOps Services (the SDK
    finds that through resource areas only when built from a ``Connection``); the collection URL
    itself on Azure DevOps Server."""
    prefix = "https://dev.azure.com/"
    if base_url.startswith(prefix):
        return "https://vssps.dev.azure.com/" + base_url.removeprefix(prefix)
    return base_url


class AdoStatusError(Exception):
    def __init__(self, status: int, headers: dict[str, str], message: str) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status = status
        self.headers = headers
        self.message = message


def _raise_for_status(response: Any, *args: Any, **kwargs: Any) -> None:
    if response.status_code >= 400:
        try:
            body = response.json()
            message = str(body.get("message", "")) if isinstance(body, dict) else ""
        except ValueError:
            message = ""
        raise AdoStatusError(response.status_code, dict(response.headers), message)


class AdoSession:
    """Git and work-item clients of a connection, built on first use."""

    def __init__(
        self,
        connection: ScmConnection,
        secrets: SecretStore,
        *,
        timeout_s: float = 30.0,
        credential: TokenCredential | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.bound = BoundConnection(connection, secrets)
        self.project, self.repository = self.bound.repository_parts()
        if not connection.base_url:
            raise ConfigurationError(
                "an Azure DevOps connection needs base_url (organisation or collection URL)"
            )
        self.base_url = connection.base_url.rstrip("/")
        self._timeout_s = timeout_s
        self._credential = credential
        self._clock = clock
        self._clients: dict[str, Any] = {}
        self._token_expires = 0.0

    def web_url(self, suffix: str) -> str:
        return f"{self.base_url}/{quote(self.project)}/{suffix}"

    def git(self, tenant: str) -> Any:
        from azure.devops.v7_1.git import GitClient

        return self._client(tenant, "git", GitClient)

    def work_items(self, tenant: str) -> Any:
        from azure.devops.v7_1.work_item_tracking import WorkItemTrackingClient

        return self._client(tenant, "wit", WorkItemTrackingClient)

    def identities(self, tenant: str) -> Any:
        from azure.devops.v7_1.identity import IdentityClient

        return self._client(tenant, "ims", IdentityClient, identity_url(self.base_url))

    def security(self, tenant: str) -> Any:
        from azure.devops.v7_1.security import SecurityClient

        return self._client(tenant, "security", SecurityClient)

    def location(self, tenant: str) -> Any:
        from azure.devops.v7_1.location import LocationClient

        return self._client(tenant, "location", LocationClient)

    def _client(self, tenant: str, key: str, cls: Any, url: str | None = None) -> Any:
        self.bound.check(tenant)
        if self._token_expires and self._clock() > self._token_expires - _TOKEN_MARGIN_S:
            self._clients.clear()  # an Entra token is about to expire: take a fresh one
        if key not in self._clients:
            _locations_in_memory_only()
            client = cls(url or self.base_url, self._creds(tenant))
            # No retries at all: none on connect/read errors, and no status is retried (msrest
            # would retry 429 and 5xx, sleeping Retry-After). Changed in place: msrest reads
            # this urllib3 Retry when its requests session is first made.
            policy = client.config.retry_policy
            policy.retries = 0
            policy.policy.status_forcelist = frozenset()
            policy.policy.raise_on_status = False
            policy.policy.respect_retry_after_header = False
            client.config.connection.timeout = self._timeout_s
            client.config.hooks.append(_raise_for_status)
            self._clients[key] = client
        return self._clients[key]

    def _creds(self, tenant: str) -> Any:
        from msrest.authentication import BasicAuthentication, BasicTokenAuthentication

        if self.bound.connection.auth is not ScmAuth.ENTRA:
            return BasicAuthentication("", self.bound.secret(tenant))
        from azure.core.exceptions import ClientAuthenticationError

        try:
            token = self.entra_credential(tenant).get_token(ADO_SCOPE)
        except ClientAuthenticationError as exc:
            raise ScmAuthError("Azure DevOps: no Entra ID token for the connection") from exc
        self._token_expires = float(token.expires_on)
        return BasicTokenAuthentication({"access_token": token.token})

    def entra_credential(self, tenant: str) -> TokenCredential:
        """The Entra ID credential of an ``ENTRA`` connection (a service principal when the
        connection names one, else the process's identity); git checkouts use it too."""
        options = self.bound.connection.options
        if options.get("tenant_id") and options.get("client_id"):
            from azure.identity import ClientSecretCredential

            return ClientSecretCredential(
                options["tenant_id"], options["client_id"], self.bound.secret(tenant)
            )
        if self._credential is None:
            from azure.identity import DefaultAzureCredential

            self._credential = DefaultAzureCredential()
        return self._credential

    @contextmanager
    def errors(self, action: str) -> Iterator[None]:
        """Map HTTP, transport and SDK failures of ``action`` to domain errors."""
        from msrest.exceptions import ClientException, ClientRequestError

        try:
            yield
        except AdoStatusError as exc:
            message = f"Azure DevOps {action}: {exc.message}".rstrip(": ")
            raise http_error(exc.status, exc.headers, message, now=self._clock()) from exc
        except ClientRequestError as exc:
            raise transport_error(f"Azure DevOps {action}", exc) from exc
        except ClientException as exc:
            raise ScmError(f"Azure DevOps {action}: {type(exc).__name__}") from exc


class _NoFileCache(dict[str, Any]):
    """Stands in for the SDK's on-disk options cache: always a miss, never written."""

    def __getitem__(self, key: str) -> Any:
        return {}

    def __setitem__(self, key: str, value: Any) -> None:
        return None


def _locations_in_memory_only() -> None:
    import azure.devops.client

    azure.devops.client.OPTIONS_FILE_CACHE = _NoFileCache()
