"""Per-tenant webhook rate limits: a PostgreSQL token bucket, configurable per tenant."""

from __future__ import annotations

import asyncio
import time

import pytest

from shared.adapters.store.postgres.database import Database
from shared.adapters.store.postgres.rate_limit import take_webhook_token
from shared.domain.errors import RateLimited
from shared.services.intake import Outcome
from tests.integration.intake.conftest import Intake
from tests.unit.intake.deliveries import github_comment as comment


def _quota(db: Database, tenant: str, rate: float, burst: int) -> None:
    with db.connection() as conn:
        conn.execute(
            "UPDATE platform.quotas SET webhook_rate_per_sec = %s, webhook_burst = %s"
            " WHERE tenant = %s",
            (rate, burst, tenant),
        )


def test_a_burst_over_the_bucket_gets_429s_with_retry_after_and_stores_nothing(
    intake: Intake,
) -> None:
    tenant = intake.tenant()
    _quota(intake.db, tenant, rate=0.01, burst=5)
    accepted, refused = [], []
    for issue in range(1, 9):
        try:
            accepted.append(intake.send(tenant, comment("/agent fix", issue=issue)))
        except RateLimited as exc:
            refused.append(exc)
    assert [r.outcome for r in accepted] == [Outcome.ACCEPTED] * 5
    assert len(refused) == 3
    assert all(e.http_status == 429 and 60 < (e.retry_after or 0) <= 100 for e in refused)
    assert len(intake.deliveries(tenant)) == len(intake.tasks(tenant)) == 5
    started = intake.orchestrations.started
    assert [f for f, _ in started.values()].count("patch_flow") == 5
    # Each refused command starts the reply flow (which audits it and answers its author once),
    # so the 429 itself never waits on the SCM.
    replies = {i: p for i, (f, p) in started.items() if f == "refusal_reply"}
    assert len(replies) == 3
    assert all(i.endswith("-refused") for i in replies)
    assert {p["reason"] for p in replies.values()} == {"rate-limited"}
    assert {p["task"]["requester"] for p in replies.values()} == {"Codertocat"}

    # A refused delivery is not remembered: once the bucket allows, its retry is accepted.
    _quota(intake.db, tenant, rate=1000, burst=5)
    retried = intake.send(tenant, comment("/agent fix", issue=8))
    assert retried.outcome is Outcome.ACCEPTED


def test_under_the_limit_nothing_is_refused(intake: Intake) -> None:
    tenant = intake.tenant()
    _quota(intake.db, tenant, rate=50, burst=60)

    async def burst():
        return await asyncio.gather(
            *(intake.receive(tenant, comment("/agent fix", issue=n)) for n in range(1, 51))
        )

    results = asyncio.run(burst())
    assert [r.outcome for r in results] == [Outcome.ACCEPTED] * 50


def test_duplicates_do_not_spend_tokens(intake: Intake) -> None:
    tenant = intake.tenant()
    _quota(intake.db, tenant, rate=0.001, burst=1)
    item = comment("/agent fix")
    assert intake.send(tenant, item, delivery_id="once").outcome is Outcome.ACCEPTED
    for _ in range(3):
        assert intake.send(tenant, item, delivery_id="once").outcome is Outcome.DUPLICATE


def test_the_bucket_refills_at_the_tenants_rate(db: Database, new_tenant) -> None:
    tenant = new_tenant("rl").slug
    _quota(db, tenant, rate=20, burst=2)
    with db.connection() as conn:
        assert take_webhook_token(conn, tenant) is None
        assert take_webhook_token(conn, tenant) is None
        wait = take_webhook_token(conn, tenant)
        assert wait is not None and 0 < wait <= 0.05
        time.sleep(0.06)
        assert take_webhook_token(conn, tenant) is None


def test_a_rolled_back_transaction_gives_its_token_back(db: Database, new_tenant) -> None:
    tenant = new_tenant("rl").slug
    _quota(db, tenant, rate=0.001, burst=1)
    with pytest.raises(RuntimeError), db.transaction() as conn:
        assert take_webhook_token(conn, tenant) is None
        raise RuntimeError("roll back")
    with db.transaction() as conn:
        assert take_webhook_token(conn, tenant) is None
        assert take_webhook_token(conn, tenant) is not None


def test_a_zero_rate_never_refills(db: Database, new_tenant) -> None:
    tenant = new_tenant("rl").slug
    _quota(db, tenant, rate=0, burst=0)
    with db.connection() as conn:
        assert take_webhook_token(conn, tenant) == 3600.0


def test_a_denied_author_is_refused_at_intake_and_answered_asynchronously(
    intake: Intake,
) -> None:
    tenant = intake.tenant({"denied_authors": ["github:mallory"]})
    refused = intake.send(tenant, comment("/agent fix", user="Mallory"))
    allowed = intake.send(tenant, comment("/agent fix", issue=2, user="alice"))

    assert (refused.outcome, refused.reason) == (Outcome.IGNORED, "author-denied")
    assert allowed.outcome is Outcome.ACCEPTED
    assert [t["requester"] for t in intake.tasks(tenant)] == ["alice"]
    flows = {f: p for f, p in intake.orchestrations.started.values()}
    assert flows["refusal_reply"]["reason"] == "author-denied"
    assert flows["refusal_reply"]["task"]["requester"] == "Mallory"
