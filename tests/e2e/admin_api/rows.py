"""Tasks written straight into a tenant's store (its own transaction, as its role), for states
the flow would take minutes to reach: many statuses, several requesters, recorded decisions."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any


def insert_task(
    app,
    slug: str,
    *,
    requester: str,
    status: str,
    repository: str = "demo/calc",
    lineage: dict[str, Any] | None = None,
    created_at: datetime | None = None,
    decided_by: str | None = None,
) -> str:
    task_id = f"t-{uuid.uuid4().hex[:12]}"
    with app.db.tenant_transaction(app.tenants.locate(slug)) as tx:
        tx.conn.execute(
            "INSERT INTO tasks (id, provider, repository, source_kind, source_id, command,"
            " requester, status, lineage, created_at, updated_at)"
            " VALUES (%s, 'github', %s, 'issue', %s, 'fix', %s, %s, %s, %s, %s)",
            (
                task_id,
                repository,
                str(10_000 + uuid.uuid4().int % 10_000),  # never the demo's issue
                requester,
                status,
                json.dumps(lineage or {}),
                created_at or datetime.now(UTC),
                created_at or datetime.now(UTC),
            ),
        )
        if decided_by is not None:
            tx.conn.execute(
                "INSERT INTO approval_events (id, task_id, decision, via, principal)"
                " VALUES (%s, %s, 'approve', 'api', %s)",
                (str(uuid.uuid4()), task_id, decided_by),
            )
    return task_id
