"""Audit events and the result of checking a tenant's hash chain."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

GENESIS_HASH = "0" * 64


def canonical_json(value: Any) -> str:
    """Canonical JSON: sorted keys, no insignificant whitespace, UTF-8 kept as is."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class AuditEvent:
    seq: int
    event_id: str
    occurred_at: datetime
    actor: str
    kind: str
    task_id: str | None
    data: dict[str, Any]
    prev_hash: str
    hash: str

    def body(self) -> dict[str, Any]:
        """What the hash covers: every field but the hash itself."""
        return {
            "seq": self.seq,
            "event_id": self.event_id,
            "occurred_at": self.occurred_at.isoformat(timespec="microseconds"),
            "actor": self.actor,
            "kind": self.kind,
            "task_id": self.task_id,
            "data": self.data,
            "prev_hash": self.prev_hash,
        }

    def computed_hash(self) -> str:
        return hashlib.sha256(canonical_json(self.body()).encode("utf-8")).hexdigest()

    def to_json(self) -> str:
        return canonical_json({**self.body(), "hash": self.hash})


@dataclass(frozen=True)
class ChainVerification:
    """``ok`` with the count checked, or the first broken link (``broken_at`` = seq) and why."""

    ok: bool
    checked: int
    broken_at: int | None = None
    reason: str | None = None
