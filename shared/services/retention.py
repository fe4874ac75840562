"""Retention: per-tenant limits on how long raw webhook bodies, LLM transcripts and patch
workspaces are kept, purged by a daily timer (``functions/maintenance.py``).

A tenant sets them in its settings, in days: ``{"retention": {"webhook_bodies_days": 30,
"transcripts_days": 90, "workspaces_days": 7}}`` (these are the defaults; a value that is not a
positive number falls back to its default, with a warning). Purging drops content only (see
``shared/ports/retention.py``); each tenant's purge that removed anything is audited as
``retention.purged`` with its counts, so the audit chain records retention and still verifies.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from shared.domain.errors import TenantNotFound
from shared.ports.retention import RetentionStore
from shared.ports.tenants import TenantDirectory

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetentionPolicy:
    webhook_bodies_days: float = 30
    transcripts_days: float = 90
    workspaces_days: float = 7

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> RetentionPolicy:
        raw = settings.get("retention") or {}
        chosen: dict[str, float] = {}
        for item in fields(cls):
            value = raw.get(item.name) if isinstance(raw, Mapping) else None
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                log.warning("retention.%s=%r is not a positive number of days", item.name, value)
                continue
            chosen[item.name] = float(value)
        return cls(**chosen)


class RetentionService:
    def __init__(
        self,
        *,
        tenants: TenantDirectory,
        store: RetentionStore,
        work_dir: Path,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._tenants = tenants
        self._store = store
        self._work_dir = work_dir
        self._clock = clock

    def purge(self) -> dict[str, dict[str, int]]:
        """Purge every tenant's expired content; what was purged, per tenant."""
        now = self._clock()
        purged: dict[str, dict[str, int]] = {}
        for tenant in self._tenants.list():
            policy = RetentionPolicy.from_settings(tenant.settings)
            try:
                location = self._tenants.locate(tenant.slug)
            except TenantNotFound:  # its database is still being provisioned, or just dropped
                continue
            counts = {
                "webhook_bodies": self._store.purge_bodies(
                    location, now - timedelta(days=policy.webhook_bodies_days)
                ),
                "transcripts": self._store.purge_transcripts(
                    location, now - timedelta(days=policy.transcripts_days)
                ),
                "workspaces": self._purge_workspaces(
                    tenant.slug, now - timedelta(days=policy.workspaces_days)
                ),
            }
            if any(counts.values()):
                self._store.record(location, {**counts, "policy_days": vars(policy)})
                purged[tenant.slug] = counts
        return purged

    def _purge_workspaces(self, slug: str, before: datetime) -> int:
        """Remove the tenant's repository copies built before ``before`` (a later task on the
        same commit builds its copy again)."""
        folder = self._work_dir / slug
        if not folder.is_dir():
            return 0
        removed = 0
        for copy in folder.iterdir():
            built = datetime.fromtimestamp(copy.stat().st_mtime, UTC)
            if copy.is_dir() and not copy.is_symlink() and built < before:
                shutil.rmtree(copy, ignore_errors=True)
                removed += 1
        return removed
