"""Per-tenant token buckets in PostgreSQL (``platform.take_token``, migration 0004).

A bucket refills continuously at the tenant's rate up to its burst (``platform.quotas``); the
check and the take are one statement under a row lock, so concurrent requests across processes
never over-spend; a caller whose (platform) transaction rolls back gives its token back.
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
    row = conn.execute(
        "SELECT platform.take_token(q.tenant, 'webhook', q.webhook_rate_per_sec,"
        " q.webhook_burst, 1) AS wait FROM platform.quotas q WHERE q.tenant = %s",
        (tenant,),
    ).fetchone()
    if row is None:
        return None
    wait = row["wait"]
    if wait is None:
        return NEVER_REFILLS
    seconds = float(str(wait))
    return None if seconds <= 0 else seconds


def give_back_webhook_tokens(
    conn: psycopg.Connection[dict[str, object]], tenant: str, tokens: int
) -> None:
    """Return ``tokens`` webhook tokens to ``tenant``'s bucket (never above its burst): for
    deliveries whose tenant transaction rolled back after their tokens were taken."""
    conn.execute(
        "UPDATE platform.rate_buckets b SET tokens = least(q.webhook_burst, b.tokens + %s)"
        " FROM platform.quotas q"
        " WHERE q.tenant = b.tenant AND b.tenant = %s AND b.bucket = 'webhook'",
        (tokens, tenant),
    )
