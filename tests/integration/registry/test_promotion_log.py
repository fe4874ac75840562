"""The promotion record on PostgreSQL: append-only, and each proposal decided once (the unique
index refuses a second approval or rejection, as two admins deciding at once would make)."""

from __future__ import annotations

import secrets

import psycopg
import pytest

from shared.adapters.store.postgres.promotions import PostgresPromotionLog
from shared.domain.errors import Conflict
from shared.domain.models import CHALLENGER, CHAMPION, Promotion


def test_a_proposal_is_decided_once_and_steps_are_never_changed(db) -> None:
    log = PostgresPromotionLog(db)
    model = f"log-{secrets.token_hex(4)}"
    proposal = log.append(Promotion(model, 2, CHALLENGER, None, "proposed", "a", actor_id="oid-a"))
    assert proposal.id is not None and proposal.actor_id == "oid-a"
    decided = Promotion(model, 2, CHAMPION, None, "approved", "b", proposal=proposal.id)
    assert log.append(decided).proposal == proposal.id
    for second in ("approved", "rejected"):
        with pytest.raises(Conflict) as refused:
            log.append(Promotion(**{**decided.__dict__, "action": second, "actor": "c"}))
        assert refused.value.code == "already-decided"
    log.append(Promotion(**{**decided.__dict__, "action": "refused", "actor": "c"}))  # recorded
    assert [s.action for s in log.history(model)] == ["proposed", "approved", "refused"]

    with db.connection() as conn, pytest.raises(psycopg.errors.RaiseException):
        conn.execute("UPDATE platform.model_promotions SET actor = 'x' WHERE model = %s", (model,))
