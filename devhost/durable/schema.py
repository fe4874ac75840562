"""The durable store's tables, created on start in a schema of devhost's own.

The schema belongs to devhost, not to the app's migrations: ``ensure_schema`` creates it with
idempotent ``CREATE ... IF NOT EXISTS`` statements under a transaction-scoped advisory lock, so
several devhosts starting together against one database converge. Its name is configurable so
several devhosts or test sessions can share a server.

- ``instances``: one row per orchestration instance (status, input, output, custom status).
- ``history``: the current execution's history, one JSON event per row, in ``seq`` order.
- ``inbox``: messages for orchestrations (``kind`` 'o') and entities ('e'); a message becomes
  visible at ``visible_at``, which makes durable timers delayed messages.
- ``work_items``: activity calls, leased (``leased_until``) by the worker running them; each
  claim increments ``lease_token``, the fencing token its completion must still match.
- ``entities``: entity state, one row per entity id (``@name@key``).
- ``timer_runs``: the last occurrence each timer function fired (``devhost.timers``).
"""

from __future__ import annotations

import re
from typing import Any

from psycopg import AsyncConnection, sql

_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")

_DDL = """
CREATE TABLE IF NOT EXISTS instances (
    instance_id text PRIMARY KEY,
    name text NOT NULL,
    execution_id text NOT NULL,
    status text NOT NULL,
    input text,
    output text,
    custom_status text,
    parent jsonb,
    version text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX IF NOT EXISTS instances_created_at ON instances (created_at, instance_id);
CREATE TABLE IF NOT EXISTS history (
    instance_id text NOT NULL,
    seq integer NOT NULL,
    event jsonb NOT NULL,
    PRIMARY KEY (instance_id, seq)
);
CREATE TABLE IF NOT EXISTS inbox (
    id bigserial PRIMARY KEY,
    target text NOT NULL,
    kind char(1) NOT NULL CHECK (kind IN ('o', 'e')),
    execution_id text,
    control boolean NOT NULL DEFAULT false,
    event jsonb NOT NULL,
    visible_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX IF NOT EXISTS inbox_target ON inbox (target, id);
CREATE INDEX IF NOT EXISTS inbox_visible ON inbox (kind, visible_at);
CREATE TABLE IF NOT EXISTS work_items (
    id bigserial PRIMARY KEY,
    instance_id text NOT NULL,
    execution_id text NOT NULL,
    task_id integer NOT NULL,
    name text NOT NULL,
    input text
);
ALTER TABLE work_items ADD COLUMN IF NOT EXISTS lease_token bigint NOT NULL DEFAULT 0;
ALTER TABLE work_items ADD COLUMN IF NOT EXISTS leased_until timestamptz;
CREATE TABLE IF NOT EXISTS entities (
    entity_id text PRIMARY KEY,
    name text NOT NULL,
    key text NOT NULL,
    entity_exists boolean NOT NULL DEFAULT false,
    state text,
    last_operation_at timestamptz
);
CREATE TABLE IF NOT EXISTS timer_runs (
    name text PRIMARY KEY,
    last_due timestamptz NOT NULL
);
"""


def check_schema_name(name: str) -> str:
    """``name`` if it is a valid store schema name (a lower-case identifier)."""
    if not _NAME.match(name):
        raise ValueError(f"invalid store schema name {name!r}: use [a-z_][a-z0-9_]*")
    return name


def connection_options(schema: str) -> str:
    """libpq ``options`` that make the store's tables the unqualified ones."""
    return f"-c search_path={check_schema_name(schema)}"


async def ensure_schema(conn: AsyncConnection[Any], schema: str) -> None:
    """Create the store's schema and tables if missing (safe to run concurrently)."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"devhost:{schema}",))
        await conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
        await conn.execute(sql.SQL("SET LOCAL search_path TO {}").format(sql.Identifier(schema)))
        for statement in _DDL.split(";"):
            if statement.strip():
                await conn.execute(sql.SQL(statement.strip()))  # type: ignore[arg-type]
