"""Trigger authorisation records per tenant: the SCM's answers about who may push, kept for a
few minutes and shared by every app instance, and when a refused author was last told why.

Every call takes the caller's tenant transaction (``TaskStore.transaction``); ages use the
store's clock, so instances with skewed clocks agree.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from shared.domain.access import RepositoryAccess


class TriggerAccessStore(Protocol):
    def cached_access(
        self, tx: Any, provider: str, repository: str, subject: str, max_age_s: float
    ) -> RepositoryAccess | None:
        """The answer stored for ``subject`` (``user:<name>`` or ``self``) if younger than
        ``max_age_s``."""
        ...

    def store_access(
        self, tx: Any, provider: str, repository: str, subject: str, access: RepositoryAccess
    ) -> None: ...

    def claim_reply(self, tx: Any, provider: str, author: str, window_s: float) -> datetime | None:
        """The right to reply to ``author`` (the claim's time) when nobody replied to them
        within ``window_s``, else ``None``; concurrent claims for one author: exactly one wins."""
        ...

    def release_reply(self, tx: Any, provider: str, author: str, claimed: datetime) -> None:
        """Give a claim back (the reply could not be posted), so the next refusal may reply."""
        ...
