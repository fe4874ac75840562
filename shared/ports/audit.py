"""The audit log: append-only, hash-chained, per tenant."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import Any

from shared.domain.audit import AuditEvent, ChainVerification


class AuditLog(ABC):
    """Append events in the SAME transaction as the change they record (``tx`` is the tenant
    transaction of that change); verify and export a tenant's chain."""

    @abstractmethod
    def append(
        self, tx: Any, *, kind: str, actor: str, data: dict[str, Any], task_id: str | None = None
    ) -> AuditEvent: ...

    @abstractmethod
    def verify_chain(self, tenant: str) -> ChainVerification:
        """Check every link; report the first broken one."""

    @abstractmethod
    def export(self, tenant: str) -> Iterator[str]:
        """The chain as JSON Lines, in order."""
