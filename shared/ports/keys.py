"""Per-tenant envelope encryption: a fresh data key per record, wrapped by the tenant's key."""

from __future__ import annotations

from abc import ABC, abstractmethod


class KeyProvider(ABC):
    """Encrypt and decrypt records for one tenant at a time.

    ``encrypt`` returns a self-describing envelope (key id + version, wrapped data key, nonce,
    ciphertext) as bytes; ``decrypt`` of an envelope made for another tenant, or with other
    ``associated_data``, raises ``PermissionDenied``. ``rotate`` makes a new key version for new
    records; envelopes made with older versions stay readable.
    """

    @abstractmethod
    def encrypt(self, tenant: str, plaintext: bytes, associated_data: bytes = b"") -> bytes: ...

    @abstractmethod
    def decrypt(self, tenant: str, envelope: bytes, associated_data: bytes = b"") -> bytes: ...

    @abstractmethod
    def rotate(self, tenant: str) -> str:
        """Create a new key version for the tenant; returns its id."""
