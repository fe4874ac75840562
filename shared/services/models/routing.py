"""Routes that name the registry (``models:/patch-generator@champion``) become concrete routes.

Alias lookups are cached for ``ttl_s`` per (tenant, reference): a promotion reaches every
instance within that time, and a busy tenant does not ask the registry on every call. The route
carries ``registry_version`` (``models:/NAME/N``), which the hub writes into lineage.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from shared.domain.llm_hub import LlmRoute
from shared.domain.models import ModelRef, ModelVersion
from shared.ports.registry import ModelRegistry


class ModelRoutes:
    def __init__(
        self,
        registry: ModelRegistry,
        *,
        ttl_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._registry = registry
        self._ttl = ttl_s
        self._clock = clock
        self._cache: dict[tuple[str, str], tuple[float, ModelVersion]] = {}
        self._lock = threading.Lock()

    def version(self, tenant: str, reference: str) -> ModelVersion:
        """The version ``reference`` names for ``tenant`` (``InvalidInput`` when malformed,
        ``NotFound`` when the registry has no such alias or version)."""
        ref = ModelRef.parse(reference)
        key = (tenant, ref.uri)
        now = self._clock()
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None and now - cached[0] < self._ttl:
            return cached[1]
        if ref.alias is not None:
            found = self._registry.resolve(ref.name, ref.alias, tenant)
        else:
            assert ref.version is not None
            found = self._registry.get(ref.name, ref.version)
        with self._lock:
            self._cache[key] = (now, found)
        return found

    def route(self, tenant: str, reference: str) -> LlmRoute:
        found = self.version(tenant, reference)
        return found.spec.route(found.uri)
