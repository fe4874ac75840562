"""Local tenant keys: one key file per tenant and version under devhost's data dir.

Layout: ``<data_dir>/keys/<tenant>/<version>.key``, 32 random bytes, mode 0600 (directories
0700). Versions are 1, 2, 3...; the highest is current. A data key is wrapped with AES-256-GCM
under the tenant's key, with the tenant and version as associated data, and stored as
``nonce (12 bytes) || ciphertext || tag``.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from shared.adapters.keys.envelope import (
    NONCE_BYTES,
    EnvelopeKeyProvider,
    WrapAlgorithm,
    decryption_failed,
)
from shared.adapters.synced_files import fsync_dir, write_new
from shared.domain.errors import ConfigurationError
from shared.domain.tenant import validate_slug

KEY_BYTES = 32
_VERSION = re.compile(r"[1-9][0-9]{0,8}")


def _wrap_context(tenant: str, version: str) -> bytes:
    return f"dek|{tenant}|{version}".encode()


class LocalKeyProvider(EnvelopeKeyProvider):
    """Envelope encryption with per-tenant key files; for devhost and single-machine installs.

    New versions are created atomically (written to a temporary file, then hard-linked to their
    final name, which fails if another process got there first), so concurrent ``rotate`` calls
    never overwrite a key.
    """

    wrap_algorithm = WrapAlgorithm.AES256_GCM

    def __init__(self, data_dir: Path) -> None:
        self._root = Path(data_dir) / "keys"

    def rotate(self, tenant: str) -> str:
        validate_slug(tenant)
        return self._create_version(tenant)

    def derive_key(self, tenant: str, purpose: str) -> bytes:
        """HMAC-SHA256 of the tenant, version and purpose under the current key file."""
        validate_slug(tenant)
        version = self._current_version(tenant) or self._create_version(tenant)
        context = f"derive|{tenant}|{version}|{purpose}".encode()
        return hmac.new(self._read_key(tenant, version), context, hashlib.sha256).digest()

    def _wrap(self, tenant: str, data_key: bytes) -> tuple[str, bytes]:
        version = self._current_version(tenant) or self._create_version(tenant)
        nonce = os.urandom(NONCE_BYTES)
        sealed = AESGCM(self._read_key(tenant, version)).encrypt(
            nonce, data_key, _wrap_context(tenant, version)
        )
        return version, nonce + sealed

    def _unwrap(self, tenant: str, key_version: str, wrapped_key: bytes) -> bytes:
        if not _VERSION.fullmatch(key_version):
            raise decryption_failed(f"no key version {key_version!r}")
        try:
            key = self._read_key(tenant, key_version)
        except FileNotFoundError as exc:
            raise decryption_failed(f"no key version {key_version!r} for this tenant") from exc
        try:
            return AESGCM(key).decrypt(
                wrapped_key[:NONCE_BYTES],
                wrapped_key[NONCE_BYTES:],
                _wrap_context(tenant, key_version),
            )
        except (InvalidTag, ValueError) as exc:
            raise decryption_failed("the tenant's key does not unwrap the data key") from exc

    def _tenant_dir(self, tenant: str) -> Path:
        return self._root / tenant

    def _versions(self, tenant: str) -> list[int]:
        try:
            names = os.listdir(self._tenant_dir(tenant))
        except FileNotFoundError:
            return []
        return sorted(
            int(name.removesuffix(".key"))
            for name in names
            if name.endswith(".key") and _VERSION.fullmatch(name.removesuffix(".key"))
        )

    def _current_version(self, tenant: str) -> str | None:
        versions = self._versions(tenant)
        return str(versions[-1]) if versions else None

    def _read_key(self, tenant: str, version: str) -> bytes:
        key = (self._tenant_dir(tenant) / f"{version}.key").read_bytes()
        if len(key) != KEY_BYTES:
            raise ConfigurationError(f"key file {tenant}/{version}.key is not {KEY_BYTES} bytes")
        return key

    def _create_version(self, tenant: str) -> str:
        directory = self._tenant_dir(tenant)
        self._root.mkdir(mode=0o700, parents=True, exist_ok=True)
        directory.mkdir(mode=0o700, exist_ok=True)
        temporary = directory / f".new-{secrets.token_hex(8)}"
        try:
            write_new(temporary, secrets.token_bytes(KEY_BYTES))
            version = (self._versions(tenant) or [0])[-1] + 1
            while True:
                try:
                    os.link(temporary, directory / f"{version}.key")
                    break
                except FileExistsError:
                    version += 1
        finally:
            temporary.unlink(missing_ok=True)
        fsync_dir(directory)
        return str(version)
