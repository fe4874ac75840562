"""Entra ID in front of the MLflow tracking server: every request carries a current token.

The server's Container Apps authentication accepts tokens issued for the registry's app
registration (``MLFLOW_TRACKING_SCOPE``, ``api://<client-id>/.default``). A static token in
``MLFLOW_TRACKING_TOKEN`` would lapse after about an hour, so instead each request asks
``EntraBearerAuth`` for the token: one cached with its expiry by ``EntraTokenPassword`` (the
same cache PostgreSQL logins use) and fetched anew from the azure-identity credential
``refresh_margin_s`` (5 minutes) before it expires, never on every request.

MLflow's extension point for this is a request auth provider, chosen by name through
``MLFLOW_TRACKING_AUTH``; ``install`` registers ours and selects it. The token is never logged:
not by this module, and ``repr`` of the auth object shows the scope only.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from requests.auth import AuthBase

from shared.adapters.store.postgres.entra import EntraTokenPassword

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential
    from requests import PreparedRequest

PROVIDER_NAME = "ai-code-agent-entra"
_installed: list[EntraBearerAuth] = []  # the auth the registered provider hands MLflow
_lock = threading.Lock()


class EntraBearerAuth(AuthBase):
    """``requests`` auth: ``Authorization: Bearer <token for scope>``, refreshed early."""

    def __init__(
        self,
        credential: TokenCredential,
        scope: str,
        *,
        refresh_margin_s: float = 300.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.scope = scope
        self._token = EntraTokenPassword(
            credential, scope=scope, refresh_margin_s=refresh_margin_s, clock=clock
        )

    def __call__(self, request: PreparedRequest) -> PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self._token()}"
        return request

    def __repr__(self) -> str:
        return f"EntraBearerAuth(scope={self.scope!r})"


def install(auth: EntraBearerAuth) -> None:
    """Make MLflow's HTTP requests in this process authenticate with ``auth``: registers the
    request auth provider once and selects it (``MLFLOW_TRACKING_AUTH``). A later call
    replaces the auth (one tracking server per process)."""
    from mlflow.tracking.request_auth.abstract_request_auth_provider import (
        RequestAuthProvider,
    )
    from mlflow.tracking.request_auth.registry import _request_auth_provider_registry

    class Provider(RequestAuthProvider):  # type: ignore[misc]
        def get_name(self) -> str:
            return PROVIDER_NAME

        def get_auth(self) -> EntraBearerAuth:
            return _installed[0]

    with _lock:
        if not _installed:
            _request_auth_provider_registry.register(Provider)  # type: ignore[no-untyped-call]
            _installed.append(auth)
        _installed[0] = auth
    os.environ["MLFLOW_TRACKING_AUTH"] = PROVIDER_NAME
