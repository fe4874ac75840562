"""Audit queries and usage reports for a tenant.

Usage is computed from the same rows a task's detail shows as its lineage (``llm_call_events``)
and from the tasks themselves, so the per-day figures add up to the tasks' lineage exactly; each
day and the totals also split them per provider and model (``models``), for cost charts.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from shared.domain.errors import InvalidInput
from shared.ports.admin import AdminReads, AuditFilter, add_call_usage
from shared.ports.audit import AuditLog
from shared.services.admin.paging import next_cursor, page


class AuditReports:
    def __init__(self, reads: AdminReads, audit: AuditLog) -> None:
        self._reads = reads
        self._audit = audit

    def query(
        self, tenant: str, where: AuditFilter, cursor: str | None, limit: int
    ) -> dict[str, Any]:
        at = page(cursor, limit)
        if at.after is not None and not (len(at.after) == 1 and isinstance(at.after[0], int)):
            raise InvalidInput("malformed cursor", code="invalid-cursor")
        rows = self._reads.audit_events(tenant, where, at)
        items = [{k: v for k, v in r.items() if k != "_key"} for r in rows]
        return {"items": items, "next_cursor": next_cursor(rows, limit)}

    def export(self, tenant: str) -> Iterator[str]:
        return self._audit.export(tenant)

    def verify(self, tenant: str) -> dict[str, Any]:
        result = self._audit.verify_chain(tenant)
        return {
            "ok": result.ok,
            "checked": result.checked,
            "broken_at": result.broken_at,
            "reason": result.reason,
        }


class UsageReports:
    def __init__(self, reads: AdminReads) -> None:
        self._reads = reads

    def per_day(
        self, tenant: str, since: datetime | None, until: datetime | None
    ) -> dict[str, Any]:
        if since is not None and until is not None and until <= since:
            raise InvalidInput("until must be after since", code="invalid-range")
        days = [_finish(d) for d in self._reads.usage(tenant, since, until)]
        total: dict[str, Any] = {
            "day": "total",
            "llm_calls": 0,
            "input_tokens": 0,
            "output_tokens": 0,
            "cost_usd": 0.0,
            "tasks_by_outcome": {},
            "_lead": 0.0,
            "_finished": 0,
            "models": [],
        }
        for day in days:
            for share in day["models"]:
                add_call_usage(total, share)
            for outcome, n in day["tasks_by_outcome"].items():
                total["tasks_by_outcome"][outcome] = total["tasks_by_outcome"].get(outcome, 0) + n
            total["_lead"] += day["_lead"]
            total["_finished"] += day["_finished"]
        return {"days": [_public(d) for d in days], "totals": _public(_finish(total))}


def _finish(day: dict[str, Any]) -> dict[str, Any]:
    finished = day["_finished"]
    models = [
        {
            **m,
            "tokens": m["input_tokens"] + m["output_tokens"],
            "cost_usd": round(float(m["cost_usd"]), 6),
        }
        for m in day["models"]
    ]
    return {
        **day,
        "tokens": day["input_tokens"] + day["output_tokens"],
        "cost_usd": round(float(day["cost_usd"]), 6),
        "lead_time_s_avg": round(day["_lead"] / finished, 3) if finished else None,
        "models": sorted(models, key=lambda m: (-m["cost_usd"], -m["tokens"], m["model"])),
    }


def _public(day: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in day.items() if not k.startswith("_")}
