"""Per-tenant token buckets in PostgreSQL (``platform.take_token``, migration 0004).

A bucket refills continuously at the tenant's rate up to its burst (``platform.quotas``); the
check and the take are one statement under a row lock, so concurrent requests across processes
never over-spend, and a caller whose transaction rolls back gives its token back.
"""

from __future__ import annotations

import psycopg

#: Seconds reported when a bucket never refills (rate 0).
NEVER_REFILLS = 3600.0


def take_webhook_token(conn: psycopg.Connection[dict[str, object]], tenant: str) -> float | None:
    """Take one webhook token for ``tenant`` in the caller's (platform) transaction.

    ``None`` when granted (or when the tenant has no quota row: no limit is configured), else the
    seconds until a token will be available.
    """
    row = conn.execute(f"SELECT {WEBHOOK_BUCKET_SQL}", (tenant, tenant)).fetchone()
    assert row is not None
    return token_wait(row)


#: SQL select-list items taking one webhook token of the tenant (given twice as parameters):
#: ``wait`` (seconds; 0: granted; NULL: no quota row or a rate of 0) and ``has_quota``.
WEBHOOK_BUCKET_SQL = (
    "(SELECT platform.take_token(q.tenant, 'webhook', q.webhook_rate_per_sec, q.webhook_burst, 1)"
    " FROM platform.quotas q WHERE q.tenant = %s) AS wait,"
    " EXISTS (SELECT 1 FROM platform.quotas q WHERE q.tenant = %s) AS has_quota"
)


def token_wait(row: dict[str, object]) -> float | None:
    """From a row with ``WEBHOOK_BUCKET_SQL``'s items: ``None`` when the token was granted (or
    no limit is configured), else the seconds until one will be available."""
    if not row["has_quota"]:
        return None
    wait = row["wait"]
    if wait is None:
        return NEVER_REFILLS
    seconds = float(str(wait))
    return None if seconds <= 0 else seconds
