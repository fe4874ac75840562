"""Secrets (SCM tokens, webhook secrets, LLM keys) per tenant: Key Vault in Azure, files locally."""

from __future__ import annotations

from abc import ABC, abstractmethod


class SecretStore(ABC):
    """Named secrets scoped to a tenant. Names are ``^[a-z0-9-]{1,80}$``; values are never logged.

    ``get`` raises ``NotFound`` for an unknown name; ``set`` creates a new version.
    """

    @abstractmethod
    def get(self, tenant: str, name: str) -> str: ...

    @abstractmethod
    def set(self, tenant: str, name: str, value: str) -> None: ...

    @abstractmethod
    def delete(self, tenant: str, name: str) -> None: ...
