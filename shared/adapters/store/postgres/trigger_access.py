"""Trigger authorisation records in the tenant's schema: the SCM's answers about who may push,
kept for a few minutes and shared by every app instance, and when a refused author was last
told why. Every function takes the caller's ``TenantTx``; ages use the database clock, so
instances with skewed clocks agree."""

from __future__ import annotations

from datetime import datetime

from shared.adapters.store.postgres.database import TenantTx
from shared.domain.access import RepositoryAccess
from shared.ports.trigger_access import TriggerAccessStore


def cached_access(
    tx: TenantTx, provider: str, repository: str, subject: str, max_age_s: float
) -> RepositoryAccess | None:
    """The answer stored for ``subject`` (``user:<name>`` or ``self``) if younger than
    ``max_age_s``."""
    row = tx.conn.execute(
        "SELECT can_write, role FROM scm_access_cache WHERE provider = %s AND repository = %s"
        " AND subject = %s AND checked_at > now() - make_interval(secs => %s)",
        (provider, repository, subject, max_age_s),
    ).fetchone()
    if row is None:
        return None
    return RepositoryAccess(subject, bool(row["can_write"]), str(row["role"]))


def store_access(
    tx: TenantTx, provider: str, repository: str, subject: str, access: RepositoryAccess
) -> None:
    tx.conn.execute(
        "INSERT INTO scm_access_cache (provider, repository, subject, can_write, role)"
        " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (provider, repository, subject) DO UPDATE"
        " SET can_write = EXCLUDED.can_write, role = EXCLUDED.role, checked_at = now()",
        (provider, repository, subject, access.can_write, access.role),
    )


def claim_reply(tx: TenantTx, provider: str, author: str, window_s: float) -> datetime | None:
    """Take the right to reply to ``author``: granted (the claim's time) when nobody replied to
    them within ``window_s``, else ``None``. Concurrent claims for one author serialise on its
    row, so exactly one of them is granted."""
    row = tx.conn.execute(
        "INSERT INTO refusal_replies (provider, author, replied_at) VALUES (%s, %s, now())"
        " ON CONFLICT (provider, author) DO UPDATE SET replied_at = EXCLUDED.replied_at"
        " WHERE refusal_replies.replied_at <= now() - make_interval(secs => %s)"
        " RETURNING replied_at",
        (provider, author.strip().casefold(), window_s),
    ).fetchone()
    return None if row is None else row["replied_at"]  # type: ignore[return-value]


def release_reply(tx: TenantTx, provider: str, author: str, claimed: datetime) -> None:
    """Give a claim back (the reply could not be posted), so the next refusal may reply."""
    tx.conn.execute(
        "DELETE FROM refusal_replies WHERE provider = %s AND author = %s AND replied_at = %s",
        (provider, author.strip().casefold(), claimed),
    )


class PostgresTriggerAccess(TriggerAccessStore):
    """The ``TriggerAccessStore`` port on the functions above."""

    def cached_access(
        self, tx: TenantTx, provider: str, repository: str, subject: str, max_age_s: float
    ) -> RepositoryAccess | None:
        return cached_access(tx, provider, repository, subject, max_age_s)

    def store_access(
        self, tx: TenantTx, provider: str, repository: str, subject: str, access: RepositoryAccess
    ) -> None:
        store_access(tx, provider, repository, subject, access)

    def claim_reply(
        self, tx: TenantTx, provider: str, author: str, window_s: float
    ) -> datetime | None:
        return claim_reply(tx, provider, author, window_s)

    def release_reply(self, tx: TenantTx, provider: str, author: str, claimed: datetime) -> None:
        release_reply(tx, provider, author, claimed)
