"""``PromotionLog`` on ``platform.model_promotions`` (append-only by trigger; a proposal is
decided once, by a unique index)."""

from __future__ import annotations

from typing import Any

from psycopg.errors import UniqueViolation
from psycopg.types.json import Jsonb

from shared.adapters.store.postgres.database import Database
from shared.domain.models import Promotion
from shared.ports.registry import PromotionLog, already_decided

_COLUMNS = (
    "model, version, alias, tenant, action, actor, reason, gate, previous, actor_id, proposal"
)


def _step(row: dict[str, Any]) -> Promotion:
    return Promotion(
        **{k: row[k] for k in _COLUMNS.split(", ")},
        occurred_at=row["occurred_at"].isoformat(),
        id=row["id"],
    )


class PostgresPromotionLog(PromotionLog):
    def __init__(self, db: Database) -> None:
        self._db = db

    def append(self, step: Promotion) -> Promotion:
        try:
            return self._insert(step)
        except UniqueViolation as exc:
            raise already_decided(step) from exc

    def _insert(self, step: Promotion) -> Promotion:
        with self._db.transaction() as conn:
            row = conn.execute(
                f"INSERT INTO platform.model_promotions ({_COLUMNS})"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING *",
                (
                    step.model,
                    step.version,
                    step.alias,
                    step.tenant,
                    step.action,
                    step.actor,
                    step.reason,
                    Jsonb(step.gate),
                    step.previous,
                    step.actor_id or step.actor,
                    step.proposal,
                ),
            ).fetchone()
        assert row is not None
        return _step(row)

    def history(self, model: str, version: int | None = None) -> list[Promotion]:
        with self._db.connection() as conn:
            rows = conn.execute(
                "SELECT * FROM platform.model_promotions WHERE model = %s"
                " AND (%s::integer IS NULL OR version = %s) ORDER BY id",
                (model, version, version),
            ).fetchall()
        return [_step(r) for r in rows]
