"""Artifacts (patches, transcripts, logs) per tenant: Blob Storage in Azure, a folder locally."""

from __future__ import annotations

import re
import threading
from abc import ABC, abstractmethod

from shared.domain.errors import Conflict, InvalidInput, NotFound
from shared.domain.tenant import validate_slug

ARTIFACT_KEY_PATTERN = re.compile(
    r"^(?=.{1,512}$)[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$"
)


def validate_artifact_key(key: str) -> str:
    """Return ``key`` if valid, else raise ``InvalidInput`` (code ``invalid-artifact-key``).

    A relative path of ``/``-separated segments of letters, digits, ``._-``; no segment starts
    with a dot (so no ``..`` and no hidden files), at most 512 characters.
    """
    if not isinstance(key, str) or not ARTIFACT_KEY_PATTERN.fullmatch(key):
        raise InvalidInput(f"invalid artifact key {key!r}", code="invalid-artifact-key")
    return key


class ArtifactStore(ABC):
    """Immutable blobs under ``<tenant>/<key>`` (keys follow ``validate_artifact_key``).

    ``put`` returns a URI naming the artifact. Artifacts never change: putting the same bytes
    again returns the same URI (so retried activities are safe), other bytes raise ``Conflict``.
    ``get`` raises ``NotFound`` when absent. ``list`` returns the tenant's keys starting with
    ``prefix`` (a plain string prefix), sorted. A tenant never sees another tenant's artifacts.
    """

    @abstractmethod
    def put(
        self, tenant: str, key: str, data: bytes, content_type: str = "application/octet-stream"
    ) -> str: ...

    @abstractmethod
    def get(self, tenant: str, key: str) -> bytes: ...

    @abstractmethod
    def exists(self, tenant: str, key: str) -> bool: ...

    @abstractmethod
    def list(self, tenant: str, prefix: str = "") -> list[str]: ...


class FakeArtifactStore(ArtifactStore):
    """In-memory stand-in for service unit tests; URIs are ``memory://<tenant>/<key>``."""

    def __init__(self) -> None:
        self._blobs: dict[tuple[str, str], tuple[bytes, str]] = {}
        self._lock = threading.Lock()

    def put(
        self, tenant: str, key: str, data: bytes, content_type: str = "application/octet-stream"
    ) -> str:
        name = (validate_slug(tenant), validate_artifact_key(key))
        with self._lock:
            existing = self._blobs.setdefault(name, (bytes(data), content_type))
        if existing[0] != data:
            raise Conflict(f"artifact {key!r} already exists with other content")
        return f"memory://{tenant}/{key}"

    def get(self, tenant: str, key: str) -> bytes:
        name = (validate_slug(tenant), validate_artifact_key(key))
        with self._lock:
            if name not in self._blobs:
                raise NotFound(f"artifact {key!r} not found for tenant {tenant!r}")
            return self._blobs[name][0]

    def exists(self, tenant: str, key: str) -> bool:
        name = (validate_slug(tenant), validate_artifact_key(key))
        with self._lock:
            return name in self._blobs

    def list(self, tenant: str, prefix: str = "") -> list[str]:
        validate_slug(tenant)
        with self._lock:
            return sorted(k for t, k in self._blobs if t == tenant and k.startswith(prefix))

    def content_type(self, tenant: str, key: str) -> str:
        """The content type given to ``put`` (for assertions in tests)."""
        with self._lock:
            return self._blobs[(tenant, key)][1]
