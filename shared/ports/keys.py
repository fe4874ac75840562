"""Per-tenant envelope encryption: a fresh data key per record, wrapped by the tenant's key."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass

from shared.domain.errors import InvalidInput, PermissionDenied
from shared.domain.tenant import validate_slug


class KeyProvider(ABC):
    """Encrypt and decrypt records for one tenant at a time.

    ``encrypt`` returns a self-describing envelope (tenant, key version, wrapped data key, nonce,
    ciphertext) as bytes; the tenant's first key is created on first use. ``decrypt`` of an
    envelope made for another tenant, with other ``associated_data``, or tampered with raises
    ``PermissionDenied`` (code ``decryption-failed``); bytes that are not an envelope at all raise
    ``InvalidInput`` (code ``invalid-envelope``). ``rotate`` makes a new key version used for new
    records; envelopes made with older versions stay readable. ``derive_key`` gives a secret of
    the tenant's own for keyed hashing (redaction placeholders).
    """

    @abstractmethod
    def encrypt(self, tenant: str, plaintext: bytes, associated_data: bytes = b"") -> bytes: ...

    @abstractmethod
    def decrypt(self, tenant: str, envelope: bytes, associated_data: bytes = b"") -> bytes: ...

    @abstractmethod
    def rotate(self, tenant: str) -> str:
        """Create a new key version for the tenant; returns its id."""

    @abstractmethod
    def derive_key(self, tenant: str, purpose: str) -> bytes:
        """32 bytes for ``purpose``, derived one-way from the tenant's current key: the same in
        every instance until the key is rotated, different for every tenant and purpose, and
        revealing nothing of the tenant's key."""


@dataclass(frozen=True)
class _FakeRecord:
    tenant: str
    key_version: str
    associated_data: bytes
    plaintext: bytes


class FakeKeyProvider(KeyProvider):
    """In-memory stand-in for service unit tests: envelopes are opaque handles to stored records.

    It honours the contract (tenant and associated-data binding, rotation) without cryptography;
    ``version_used`` tells tests which key version sealed an envelope.
    """

    _PREFIX = b"fake-envelope:"

    def __init__(self) -> None:
        self._records: dict[bytes, _FakeRecord] = {}
        self._versions: dict[str, int] = {}
        self._root = secrets.token_bytes(32)
        self._lock = threading.Lock()

    def encrypt(self, tenant: str, plaintext: bytes, associated_data: bytes = b"") -> bytes:
        validate_slug(tenant)
        with self._lock:
            version = str(self._versions.setdefault(tenant, 1))
            handle = self._PREFIX + secrets.token_hex(16).encode()
            self._records[handle] = _FakeRecord(
                tenant, version, bytes(associated_data), bytes(plaintext)
            )
        return handle

    def decrypt(self, tenant: str, envelope: bytes, associated_data: bytes = b"") -> bytes:
        validate_slug(tenant)
        with self._lock:
            record = self._records.get(bytes(envelope))
        if record is None:
            raise InvalidInput("not an envelope", code="invalid-envelope")
        if record.tenant != tenant or record.associated_data != associated_data:
            raise PermissionDenied("the envelope does not open here", code="decryption-failed")
        return record.plaintext

    def rotate(self, tenant: str) -> str:
        validate_slug(tenant)
        with self._lock:
            self._versions[tenant] = self._versions.get(tenant, 0) + 1
            return str(self._versions[tenant])

    def derive_key(self, tenant: str, purpose: str) -> bytes:
        validate_slug(tenant)
        with self._lock:
            version = self._versions.setdefault(tenant, 1)
        context = f"{tenant}|{version}|{purpose}".encode()
        return hmac.new(self._root, context, hashlib.sha256).digest()

    def version_used(self, envelope: bytes) -> str:
        """The key version that sealed ``envelope`` (for assertions in tests)."""
        with self._lock:
            return self._records[bytes(envelope)].key_version
