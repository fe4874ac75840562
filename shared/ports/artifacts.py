"""Artifacts (patches, transcripts, check logs) per tenant: Blob Storage in Azure, a folder locally."""

from __future__ import annotations

from abc import ABC, abstractmethod


class ArtifactStore(ABC):
    """Immutable blobs under ``<tenant>/<key>``. Keys are relative paths without ``..``.

    ``put`` returns a URI naming the artifact; ``get`` raises ``NotFound`` when absent.
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
