"""Local secrets: one file per tenant and name under devhost's data dir.

Layout: ``<data_dir>/secrets/<tenant>/<name>``, the UTF-8 value, mode 0600 (directories 0700).
Writes are atomic (a private temporary file, fsynced, renamed over the old value), so a reader
sees the old value or the new one, never a torn write. Files are not encrypted: the data dir is
the local trust boundary, as a developer's own machine.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from shared.adapters.synced_files import fsync_dir, write_new
from shared.domain.errors import NotFound
from shared.domain.tenant import validate_slug
from shared.ports.secrets import SecretStore, validate_secret_name


class LocalSecretStore(SecretStore):
    """``SecretStore`` on private files; for devhost and single-machine installs."""

    def __init__(self, data_dir: Path) -> None:
        self._root = Path(data_dir) / "secrets"

    def get(self, tenant: str, name: str) -> str:
        path = self._path(tenant, name)
        try:
            return path.read_text(encoding="utf-8")
        except FileNotFoundError as exc:
            raise NotFound(f"secret {name!r} not found for tenant {tenant!r}") from exc

    def set(self, tenant: str, name: str, value: str) -> None:
        path = self._path(tenant, name)
        self._root.mkdir(mode=0o700, parents=True, exist_ok=True)
        path.parent.mkdir(mode=0o700, exist_ok=True)
        temporary = path.parent / f".{name}.{secrets.token_hex(8)}.tmp"
        try:
            write_new(temporary, value.encode("utf-8"))
            os.replace(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)
        fsync_dir(path.parent)

    def delete(self, tenant: str, name: str) -> None:
        path = self._path(tenant, name)
        path.unlink(missing_ok=True)
        if path.parent.exists():
            fsync_dir(path.parent)

    def _path(self, tenant: str, name: str) -> Path:
        return self._root / validate_slug(tenant) / validate_secret_name(name)
