"""The envelope format every ``KeyProvider`` adapter writes, and the record half of the scheme.

Each record gets a fresh 256-bit data key (DEK); the record is sealed with AES-256-GCM under the
DEK, and the DEK is wrapped by the tenant's key (the adapter's half). Layout, big-endian:

    magic      4 bytes   b"ACAE"
    format     1 byte    1
    wrap alg   1 byte    1 = AES-256-GCM with a local key file, 2 = RSA-OAEP-256 in Key Vault
    tenant     1-byte length + UTF-8 slug
    key ver    1-byte length + ASCII key version id
    wrapped    2-byte length + wrapped DEK
    nonce      12 bytes  (the record's AES-GCM nonce)
    body       ciphertext || 16-byte GCM tag

The record's associated data is every header byte above ``body`` followed by the 8-byte length
and bytes of the caller's associated data, so changing the tenant, key version, wrapped key or
caller context makes the record fail to open.
"""

from __future__ import annotations

import os
import struct
from abc import abstractmethod
from dataclasses import dataclass, replace
from enum import IntEnum
from typing import ClassVar

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from shared.domain.errors import InvalidInput, PermissionDenied
from shared.domain.tenant import validate_slug
from shared.ports.keys import KeyProvider

MAGIC = b"ACAE"
FORMAT_VERSION = 1
NONCE_BYTES = 12
DATA_KEY_BITS = 256


class WrapAlgorithm(IntEnum):
    AES256_GCM = 1
    RSA_OAEP_256 = 2


def decryption_failed(reason: str) -> PermissionDenied:
    """The one error for every envelope that does not open (no oracle on which part failed)."""
    return PermissionDenied(f"the envelope cannot be decrypted: {reason}", code="decryption-failed")


@dataclass(frozen=True)
class Envelope:
    wrap_algorithm: WrapAlgorithm
    tenant: str
    key_version: str
    wrapped_key: bytes
    nonce: bytes
    body: bytes = b""

    def header(self) -> bytes:
        tenant = self.tenant.encode()
        version = self.key_version.encode("ascii")
        return b"".join(
            (
                MAGIC,
                struct.pack(">BBB", FORMAT_VERSION, self.wrap_algorithm, len(tenant)),
                tenant,
                struct.pack(">B", len(version)),
                version,
                struct.pack(">H", len(self.wrapped_key)),
                self.wrapped_key,
                self.nonce,
            )
        )

    def associated_data(self, caller_data: bytes) -> bytes:
        return self.header() + struct.pack(">Q", len(caller_data)) + caller_data

    def encode(self) -> bytes:
        return self.header() + self.body

    @classmethod
    def decode(cls, data: bytes) -> Envelope:
        """Parse ``data``; ``InvalidInput`` (code ``invalid-envelope``) when it is not one."""
        try:
            return cls._decode(memoryview(data))
        except (ValueError, IndexError, struct.error, UnicodeDecodeError) as exc:
            raise InvalidInput(f"not an envelope: {exc}", code="invalid-envelope") from exc

    @classmethod
    def _decode(cls, view: memoryview) -> Envelope:
        if bytes(view[:4]) != MAGIC:
            raise ValueError("bad magic")
        fmt, algorithm, tenant_len = struct.unpack_from(">BBB", view, 4)
        if fmt != FORMAT_VERSION:
            raise ValueError(f"unknown format {fmt}")
        at = 7
        tenant = bytes(view[at : at + tenant_len]).decode()
        at += tenant_len
        (version_len,) = struct.unpack_from(">B", view, at)
        version = bytes(view[at + 1 : at + 1 + version_len]).decode("ascii")
        at += 1 + version_len
        (wrapped_len,) = struct.unpack_from(">H", view, at)
        wrapped = bytes(view[at + 2 : at + 2 + wrapped_len])
        at += 2 + wrapped_len
        nonce = bytes(view[at : at + NONCE_BYTES])
        body = bytes(view[at + NONCE_BYTES :])
        if len(wrapped) != wrapped_len or len(nonce) != NONCE_BYTES or len(body) < 16:
            raise ValueError("truncated")
        return cls(WrapAlgorithm(algorithm), tenant, version, wrapped, nonce, body)


class EnvelopeKeyProvider(KeyProvider):
    """``KeyProvider`` over the envelope format; subclasses only wrap and unwrap data keys."""

    wrap_algorithm: ClassVar[WrapAlgorithm]

    @abstractmethod
    def _wrap(self, tenant: str, data_key: bytes) -> tuple[str, bytes]:
        """Wrap ``data_key`` with the tenant's current key (made if the tenant has none yet);
        returns ``(key version, wrapped key)``."""

    @abstractmethod
    def _unwrap(self, tenant: str, key_version: str, wrapped_key: bytes) -> bytes:
        """The data key; ``decryption_failed`` when the tenant's key does not open it."""

    def encrypt(self, tenant: str, plaintext: bytes, associated_data: bytes = b"") -> bytes:
        validate_slug(tenant)
        data_key = AESGCM.generate_key(DATA_KEY_BITS)
        version, wrapped = self._wrap(tenant, data_key)
        sealed = Envelope(self.wrap_algorithm, tenant, version, wrapped, os.urandom(NONCE_BYTES))
        body = AESGCM(data_key).encrypt(
            sealed.nonce, plaintext, sealed.associated_data(associated_data)
        )
        return replace(sealed, body=body).encode()

    def decrypt(self, tenant: str, envelope: bytes, associated_data: bytes = b"") -> bytes:
        validate_slug(tenant)
        opened = Envelope.decode(envelope)
        if opened.tenant != tenant:
            raise decryption_failed("made for another tenant")
        if opened.wrap_algorithm != self.wrap_algorithm:
            raise decryption_failed(f"wrapped with {opened.wrap_algorithm.name}")
        data_key = self._unwrap(tenant, opened.key_version, opened.wrapped_key)
        try:
            return AESGCM(data_key).decrypt(
                opened.nonce, opened.body, opened.associated_data(associated_data)
            )
        except (InvalidTag, ValueError) as exc:
            raise decryption_failed("authentication failed") from exc
