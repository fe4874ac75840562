"""Trigger authorisation records in the tenant's schema: SCM answers expire, and concurrent
refusals of one author win exactly one reply."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from shared.adapters.store.postgres.trigger_access import (
    cached_access,
    claim_reply,
    release_reply,
    store_access,
)
from shared.domain.access import RepositoryAccess


def test_an_answer_is_reused_only_while_it_is_fresh(db, tenant_directory, new_tenant) -> None:
    location = tenant_directory.locate(new_tenant("acc").slug)
    with db.tenant_transaction(location) as tx:
        store_access(tx, "github", "o/r", "user:wes", RepositoryAccess("wes", True, "write"))
    with db.tenant_transaction(location) as tx:
        fresh = cached_access(tx, "github", "o/r", "user:wes", 300)
        other_repo = cached_access(tx, "github", "o/other", "user:wes", 300)
    assert (fresh.can_write, fresh.role) == (True, "write")
    assert other_repo is None
    with db.tenant_transaction(location) as tx:  # older than the allowed age: asked again
        assert cached_access(tx, "github", "o/r", "user:wes", 0) is None
        store_access(tx, "github", "o/r", "user:wes", RepositoryAccess("wes", False, "read"))
    with db.tenant_transaction(location) as tx:
        assert cached_access(tx, "github", "o/r", "user:wes", 300).can_write is False


def test_concurrent_refusals_of_one_author_claim_one_reply(
    db, tenant_directory, new_tenant
) -> None:
    location = tenant_directory.locate(new_tenant("rep").slug)

    def claim(author: str):
        with db.tenant_transaction(location) as tx:
            return claim_reply(tx, "github", author, 600)

    with ThreadPoolExecutor(8) as pool:
        claims = list(pool.map(claim, ["Mallory", "mallory"] * 4))
    granted = [c for c in claims if c is not None]
    assert len(granted) == 1
    assert claim("eve") is not None  # another author has a window of their own
    with db.tenant_transaction(location) as tx:  # the reply failed: the next refusal may answer
        release_reply(tx, "github", "MALLORY", granted[0])
    assert claim("mallory") is not None
    assert claim("mallory") is None
