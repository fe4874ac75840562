"""What the Functions host reads from an app folder: ``host.json`` and ``local.settings.json``.

``local.settings.json`` ``Values`` become environment variables of the app, as ``func start``
does for its worker; a variable already set in the environment wins (``func`` says "Skipping
... already defined"). ``host.json`` gives the HTTP route prefix and the Durable Task settings;
``%NAME%`` in the hub name is replaced by the app setting ``NAME``, as the host does.

``durableTask.storageProvider`` says which backend the Functions host uses in Azure (the Durable
Task Scheduler, ``azureManaged``, or the Azure Storage default). devhost checks it is well formed
and records it, but always keeps the task hub in its own PostgreSQL store: it needs neither the
scheduler nor its connection setting.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LOCAL_SETTINGS = "local.settings.json"
HOST_JSON = "host.json"
DEFAULT_HUB = "TestHubName"
DEFAULT_PROVIDER = "AzureStorage"
# storageProvider.type values the Durable extension knows, and the key naming their connection.
STORAGE_PROVIDERS = {
    "azurestorage": None,
    "azuremanaged": "connectionStringName",
    "mssql": "connectionStringName",
    "netherite": "StorageConnectionName",
}


class AppConfigError(ValueError):
    """``host.json`` or ``local.settings.json`` cannot be used; the message names the file."""


def _read_json(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise AppConfigError(f"{path}: not valid JSON ({exc.msg}, line {exc.lineno})") from exc
    if not isinstance(document, dict):
        raise AppConfigError(f"{path}: expected a JSON object")
    return document


def read_local_settings(app_dir: Path) -> dict[str, str]:
    """``Values`` of ``local.settings.json`` (empty when the file is absent)."""
    path = app_dir / LOCAL_SETTINGS
    if not path.is_file():
        return {}
    values = _read_json(path).get("Values", {})
    if not isinstance(values, dict):
        raise AppConfigError(f"{path}: 'Values' must be an object")
    return {str(k): "" if v is None else str(v) for k, v in values.items()}


def apply_local_settings(app_dir: Path, environ: MutableMapping[str, str]) -> dict[str, str]:
    """Put ``local.settings.json`` values into ``environ`` unless already set.

    Returns the values that were applied (so a caller can undo them).
    """
    applied: dict[str, str] = {}
    for name, value in read_local_settings(app_dir).items():
        if name not in environ:
            environ[name] = value
            applied[name] = value
    return applied


def _positive_int(section: Mapping[str, Any], key: str, default: int) -> int:
    value = section.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise AppConfigError(f"host.json: durableTask.{key} must be a positive integer")
    return value


def _storage_provider(durable: Mapping[str, Any]) -> str:
    """The provider type ``host.json`` names (``AzureStorage`` when none is named)."""
    provider = durable.get("storageProvider")
    if provider is None:
        return DEFAULT_PROVIDER
    kind = provider.get("type", DEFAULT_PROVIDER) if isinstance(provider, dict) else None
    if not isinstance(kind, str) or kind.lower() not in STORAGE_PROVIDERS:
        raise AppConfigError(
            "host.json: durableTask.storageProvider.type must be one of "
            "AzureStorage, azureManaged, mssql, netherite"
        )
    connection = STORAGE_PROVIDERS[kind.lower()]
    if kind.lower() == "azuremanaged" and not provider.get(connection):
        raise AppConfigError(f"host.json: durableTask.storageProvider.{connection} is required")
    return kind


def expand_settings(value: str, environ: Mapping[str, str]) -> str:
    """``%NAME%`` replaced by the app setting ``NAME`` (empty when unset), as the host does."""
    return re.sub(r"%([^%]+)%", lambda m: environ.get(m.group(1), ""), value)


@dataclass(frozen=True)
class HostConfig:
    """The parts of ``host.json`` a local host honours."""

    route_prefix: str = "api"
    hub_name: str = DEFAULT_HUB
    max_concurrent_activities: int = 10
    max_concurrent_orchestrations: int = 4
    max_concurrent_entities: int = 2
    storage_provider: str = DEFAULT_PROVIDER  # Azure's backend; devhost keeps its own store

    @classmethod
    def load(cls, app_dir: Path, environ: Mapping[str, str] | None = None) -> HostConfig:
        """Read ``host.json`` in ``app_dir`` (defaults when absent)."""
        env = os.environ if environ is None else environ
        path = app_dir / HOST_JSON
        document = _read_json(path) if path.is_file() else {}
        extensions = document.get("extensions") or {}
        http = extensions.get("http") or {}
        durable = extensions.get("durableTask") or {}
        prefix = http.get("routePrefix", "api")
        if not isinstance(prefix, str):
            raise AppConfigError("host.json: extensions.http.routePrefix must be a string")
        hub = expand_settings(str(durable.get("hubName") or DEFAULT_HUB), env).strip()
        hub = hub or DEFAULT_HUB
        return cls(
            route_prefix=prefix.strip("/"),
            hub_name=hub,
            max_concurrent_activities=_positive_int(
                durable, "maxConcurrentActivityFunctions", cls.max_concurrent_activities
            ),
            max_concurrent_orchestrations=_positive_int(
                durable, "maxConcurrentOrchestratorFunctions", cls.max_concurrent_orchestrations
            ),
            max_concurrent_entities=_positive_int(
                durable, "maxConcurrentEntityFunctions", cls.max_concurrent_entities
            ),
            storage_provider=_storage_provider(durable),
        )
