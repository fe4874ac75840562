"""A small, bounded, thread-safe TTL cache for the webhook hot path (tenants, secrets).

Entries are loaded outside the lock (two threads may load the same key once each; the last one
wins), and ``DomainError``s are cached like values (an unknown tenant stays unknown for the TTL,
so a flood of requests for it does not reach the database).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from shared.domain.errors import DomainError

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class TtlCache(Generic[K, V]):
    def __init__(
        self,
        ttl_seconds: float,
        *,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = ttl_seconds
        self._max = max_entries
        self._clock = clock
        self._entries: dict[K, tuple[float, V | DomainError]] = {}
        self._lock = threading.Lock()

    def get(self, key: K, load: Callable[[], V]) -> V:
        """The cached value for ``key`` (re-raising a cached error), loading it when stale."""
        now = self._clock()
        with self._lock:
            entry = self._entries.get(key)
        if entry is None or now - entry[0] >= self._ttl:
            entry = (now, self._load(load))
            with self._lock:
                if len(self._entries) >= self._max:
                    self._entries.pop(next(iter(self._entries)))
                self._entries[key] = entry
        value = entry[1]
        if isinstance(value, DomainError):
            raise value
        return value

    def age(self, key: K) -> float | None:
        """Seconds since ``key`` was loaded (``None`` when absent)."""
        with self._lock:
            entry = self._entries.get(key)
        return None if entry is None else self._clock() - entry[0]

    def invalidate(self, key: K) -> None:
        with self._lock:
            self._entries.pop(key, None)

    @staticmethod
    def _load(load: Callable[[], V]) -> V | DomainError:
        try:
            return load()
        except DomainError as exc:
            return exc
