"""Entra ID login to Azure Database for PostgreSQL: an access token is the password.

With ``POSTGRES_AUTH=entra`` every new pooled connection asks ``EntraTokenPassword`` for its
password. It holds one token for the PostgreSQL resource and asks the ``TokenCredential``
(managed identity in Azure; any credential in tests) for a new one ``refresh_margin_s`` before
the current one expires, so a connection never logs in with a token about to lapse. PostgreSQL
checks the token only at login; the pool retires connections after a lifetime shorter than the
token's, so every connection is re-authenticated with a fresh token on that schedule.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # azure-identity loads only when Entra login is configured
    from azure.core.credentials import AccessToken, TokenCredential

POSTGRES_SCOPE = "https://ossrdbms-aad.database.windows.net/.default"


class EntraTokenPassword:
    """A password source for ``Database``: the current Entra ID token for PostgreSQL."""

    def __init__(
        self,
        credential: TokenCredential,
        *,
        scope: str = POSTGRES_SCOPE,
        refresh_margin_s: float = 300.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._credential = credential
        self._scope = scope
        self._margin = refresh_margin_s
        self._clock = clock
        self._token: AccessToken | None = None
        self._lock = threading.Lock()

    def __call__(self) -> str:
        with self._lock:
            token = self._token
            if token is None or token.expires_on - self._margin <= self._clock():
                token = self._token = self._credential.get_token(self._scope)
            return token.token


def managed_identity_credential(client_id: str | None = None) -> TokenCredential:
    """One of the Function App's managed identities: the user-assigned one with ``client_id``
    (each PostgreSQL login has its own, so that the app's login is never the provisioner),
    else the system-assigned one."""
    from azure.identity import ManagedIdentityCredential

    return ManagedIdentityCredential(client_id=client_id)
