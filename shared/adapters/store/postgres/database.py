"""PostgreSQL access: one connection pool, platform and tenant-scoped transactions.

Tenant isolation is enforced by PostgreSQL: tenant-scoped work runs in a transaction that has
``SET LOCAL ROLE`` to the tenant's role (which can use only its own schema) and ``search_path``
set to that schema. The pool's own login role owns the platform schema and runs migrations.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg
from psycopg import sql
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from shared.domain.errors import Unavailable
from shared.domain.tenant import TenantLocation


@dataclass(frozen=True)
class TenantTx:
    """A transaction running as a tenant's role, inside that tenant's schema."""

    conn: psycopg.Connection[dict[str, object]]
    location: TenantLocation

    @property
    def tenant(self) -> str:
        return self.location.slug


class Database:
    """The pool and the transaction helpers. Construction does no I/O; ``open`` connects."""

    def __init__(self, url: str, *, min_size: int = 1, max_size: int = 10) -> None:
        self.url = url
        self._pool: ConnectionPool[psycopg.Connection[dict[str, object]]] = ConnectionPool(
            url,
            min_size=min_size,
            max_size=max_size,
            kwargs={"row_factory": dict_row, "autocommit": True},
            open=False,
            check=ConnectionPool.check_connection,
        )

    def open(self, timeout: float = 10.0) -> None:
        try:
            self._pool.open(wait=True, timeout=timeout)
        except Exception as exc:
            raise Unavailable(f"database unreachable: {exc}") from exc

    def close(self) -> None:
        self._pool.close()

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection[dict[str, object]]]:
        """A pooled connection in autocommit mode (each statement its own transaction)."""
        with self._pool.connection() as conn:
            yield conn

    @contextmanager
    def transaction(self) -> Iterator[psycopg.Connection[dict[str, object]]]:
        """A platform transaction, as the owner role."""
        with self._pool.connection() as conn, conn.transaction():
            yield conn

    @contextmanager
    def tenant_transaction(self, location: TenantLocation) -> Iterator[TenantTx]:
        """A transaction as the tenant's role inside its schema; the role resets at the end."""
        with self._pool.connection() as conn, conn.transaction():
            enter_tenant(conn, location)
            yield TenantTx(conn, location)

    def ping(self) -> bool:
        try:
            with self._pool.connection(timeout=2.0) as conn:
                conn.execute("SELECT 1")
            return True
        except Exception:
            return False


def enter_tenant(conn: psycopg.Connection[dict[str, object]], location: TenantLocation) -> None:
    """Switch the current transaction to the tenant's role and schema (``SET LOCAL``)."""
    conn.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(location.role)))
    conn.execute(
        sql.SQL("SET LOCAL search_path TO {}, pg_catalog").format(sql.Identifier(location.schema))
    )
