"""Secrets (SCM tokens, webhook secrets, LLM keys) per tenant: Key Vault in Azure, files locally."""

from __future__ import annotations

import re
import threading
from abc import ABC, abstractmethod

from shared.domain.errors import InvalidInput, NotFound
from shared.domain.tenant import validate_slug

SECRET_NAME_PATTERN = re.compile(r"^(?=.{1,80}$)[a-z0-9]+(-[a-z0-9]+)*$")


def validate_secret_name(name: str) -> str:
    """Return ``name`` if valid, else raise ``InvalidInput`` (code ``invalid-secret-name``).

    Lower-case letters and digits in dash-separated words (no leading, trailing or double
    dash), at most 80 characters: this keeps ``<tenant>--<name>`` unambiguous in Key Vault.
    """
    if not isinstance(name, str) or not SECRET_NAME_PATTERN.fullmatch(name):
        raise InvalidInput(
            f"invalid secret name {name!r}: expected dash-separated [a-z0-9] words, at most 80",
            code="invalid-secret-name",
        )
    return name


class SecretStore(ABC):
    """Named secrets scoped to a tenant; values are never logged.

    Names follow ``validate_secret_name``; the tenant is a valid slug. ``get`` returns the latest
    value or raises ``NotFound``; ``set`` stores a new value (a new version where the backend
    keeps versions); ``delete`` removes the secret and is idempotent (an absent secret is not an
    error). A tenant never sees another tenant's secrets.
    """

    @abstractmethod
    def get(self, tenant: str, name: str) -> str: ...

    @abstractmethod
    def set(self, tenant: str, name: str, value: str) -> None: ...

    @abstractmethod
    def delete(self, tenant: str, name: str) -> None: ...


class FakeSecretStore(SecretStore):
    """In-memory stand-in for service unit tests; validates tenant and name like the adapters."""

    def __init__(self, initial: dict[tuple[str, str], str] | None = None) -> None:
        self._values: dict[tuple[str, str], str] = dict(initial or {})
        self._lock = threading.Lock()

    def get(self, tenant: str, name: str) -> str:
        key = (validate_slug(tenant), validate_secret_name(name))
        with self._lock:
            if key not in self._values:
                raise NotFound(f"secret {name!r} not found for tenant {tenant!r}")
            return self._values[key]

    def set(self, tenant: str, name: str, value: str) -> None:
        key = (validate_slug(tenant), validate_secret_name(name))
        with self._lock:
            self._values[key] = value

    def delete(self, tenant: str, name: str) -> None:
        key = (validate_slug(tenant), validate_secret_name(name))
        with self._lock:
            self._values.pop(key, None)
