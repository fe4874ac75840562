"""Where retention purges: raw webhook bodies and sealed LLM transcripts, per tenant.

Purging removes content, never the record that something happened: delivery rows stay (so a
redelivery is still a duplicate), LLM call rows keep their lineage, and the audit chain is
untouched (it never holds bodies or transcripts), so it still verifies.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime
from typing import Any

from shared.domain.tenant import TenantLocation


class RetentionStore(ABC):
    @abstractmethod
    def purge_bodies(self, location: TenantLocation, received_before: datetime) -> int:
        """Drop the raw bodies of deliveries received before the cutoff; how many."""

    @abstractmethod
    def purge_transcripts(self, location: TenantLocation, before: datetime) -> int:
        """Drop the transcripts of LLM calls made before the cutoff; how many."""

    @abstractmethod
    def record(self, location: TenantLocation, data: dict[str, Any]) -> None:
        """Audit ``retention.purged`` with what was purged."""
