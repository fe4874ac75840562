"""PostgreSQL access: the platform pool, and lazily opened, bounded pools per tenant database.

The control plane lives in the platform database; each tenant's data in a database of its own
(``TenantLocation.database``). Every connection logs in as one role (the app's, or the
provisioner's for ``tools.admin``). The app's role owns nothing in a tenant database and does not
inherit the tenant roles it may switch to, so tenant work runs in a transaction that
``SET LOCAL ROLE``s to the tenant's role: shedding it (``RESET ROLE``, ``SET ROLE NONE``) leaves a
role with no rights, inside a database that holds nothing of another tenant or of the platform.

Connections keep no state beyond a transaction (``SET LOCAL`` only, no server-side prepared
statements), so PgBouncer in transaction mode may sit in front. With a ``password`` callable
(Entra ID tokens) every new connection asks it for its password, and connections are retired
after ``max_lifetime`` seconds, before the token they logged in with expires.

Each connection checkout and transaction is a database CLIENT span (``db.system.name``,
``db.namespace``), so a task's trace shows its time in PostgreSQL.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool, PoolClosed

from shared.domain.errors import Unavailable
from shared.domain.tenant import TenantLocation

Conn = psycopg.Connection[dict[str, object]]
Pool = ConnectionPool[Conn]


@dataclass(frozen=True)
class TenantTx:
    """A transaction running as a tenant's role, inside that tenant's database and schema."""

    conn: Conn
    location: TenantLocation

    @property
    def tenant(self) -> str:
        return self.location.slug


@dataclass(frozen=True)
class PoolLimits:
    """Sizes: the platform pool, each tenant pool, and all tenant pools together (a ceiling:
    the least recently used tenant pool is closed when a new one would exceed it)."""

    min_size: int = 1
    max_size: int = 10
    tenant_max_size: int = 4
    tenant_max_connections: int = 40
    max_lifetime: float = 3600.0


class Database:
    """The pools and the transaction helpers. Construction does no I/O; ``open`` connects."""

    def __init__(
        self,
        url: str,
        *,
        min_size: int = 1,
        max_size: int = 10,
        limits: PoolLimits | None = None,
        password: Callable[[], str] | None = None,
    ) -> None:
        self.url = url
        self._limits = limits or PoolLimits(min_size=min_size, max_size=max_size)
        self._password = password
        self._pool = self._new_pool(url, self._limits.min_size, self._limits.max_size)
        self._tenants = _TenantPools(self._tenant_pool, self._limits)
        self._login_role: str | None = None

    def _connect_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "row_factory": dict_row,
            "autocommit": True,
            "prepare_threshold": None,
        }
        if self._password is not None:
            kwargs["password"] = self._password()
        return kwargs

    def _new_pool(self, conninfo: str, min_size: int, max_size: int) -> Pool:
        return ConnectionPool(
            conninfo,
            min_size=min_size,
            max_size=max_size,
            kwargs=self._connect_kwargs,
            open=False,
            check=ConnectionPool.check_connection,
            max_lifetime=self._limits.max_lifetime,
            max_idle=60.0,
        )

    def _tenant_pool(self, database: str) -> Pool:
        return self._new_pool(self.url_for(database), 0, self._limits.tenant_max_size)

    def url_for(self, database: str) -> str:
        """This database's connection string, pointing at ``database`` instead."""
        return make_conninfo(self.url, dbname=database)

    @property
    def database_name(self) -> str:
        return str(conninfo_to_dict(self.url).get("dbname") or "")

    def open(self, timeout: float = 10.0) -> None:
        try:
            self._pool.open(wait=True, timeout=timeout)
        except Exception as exc:
            raise Unavailable(f"database unreachable: {exc}") from exc

    def close(self) -> None:
        self._tenants.close_all()
        self._pool.close()

    @contextmanager
    def connection(self) -> Iterator[Conn]:
        """A pooled platform connection in autocommit mode (each statement its own transaction)."""
        with _db_span("connection", self.database_name), self._pool.connection() as conn:
            yield conn

    @contextmanager
    def transaction(self) -> Iterator[Conn]:
        """A platform transaction."""
        with (
            _db_span("transaction", self.database_name),
            self._pool.connection() as conn,
            conn.transaction(),
        ):
            yield conn

    def connect(self, database: str) -> Conn:
        """A new, unpooled autocommit connection to ``database`` with this pool's login
        (provisioning and migrations of tenant databases)."""
        return psycopg.connect(self.url_for(database), **self._connect_kwargs())

    @contextmanager
    def tenant_transaction(self, location: TenantLocation) -> Iterator[TenantTx]:
        """A transaction in the tenant's database, as its role, inside its schema."""
        if not location.database:
            raise Unavailable(f"tenant {location.slug!r} has no database")
        with _db_span("tenant transaction", location.database):
            pool, conn = self._tenants.checkout(location.database)
            try:
                with conn.transaction():
                    enter_tenant(conn, location)
                    yield TenantTx(conn, location)
            finally:
                pool.putconn(conn)

    def forget(self, database: str) -> None:
        """Close this process's pool for ``database`` (before it is dropped)."""
        self._tenants.discard(database)

    def login_role(self) -> str:
        """The role this database logs in as (tenant roles are granted to it)."""
        if self._login_role is None:
            with self.connection() as conn:
                row = conn.execute("SELECT session_user AS r").fetchone()
            assert row is not None
            self._login_role = str(row["r"])
        return self._login_role

    def ping(self) -> bool:
        try:
            with self._pool.connection(timeout=2.0) as conn:
                conn.execute("SELECT 1")
            return True
        except Exception:
            return False


class _TenantPools:
    """One pool per tenant database, opened on first use, least recently used closed first."""

    def __init__(self, make: Callable[[str], Pool], limits: PoolLimits) -> None:
        self._make = make
        self._most = max(1, limits.tenant_max_connections // limits.tenant_max_size)
        self._pools: OrderedDict[str, Pool] = OrderedDict()
        self._lock = threading.Lock()
        self._closed = False

    def _get(self, database: str) -> Pool:
        evicted: list[Pool] = []
        with self._lock:
            if self._closed:
                raise Unavailable("the database is closed")
            pool = self._pools.get(database)
            if pool is not None:
                self._pools.move_to_end(database)
                return pool
            pool = self._make(database)
            pool.open(wait=False)
            self._pools[database] = pool
            while len(self._pools) > self._most:
                evicted.append(self._pools.popitem(last=False)[1])
        for old in evicted:  # connections in use are closed when they are returned
            old.close()
        return pool

    def checkout(self, database: str) -> tuple[Pool, Conn]:
        while True:
            pool = self._get(database)
            try:
                return pool, pool.getconn(timeout=30.0)
            except PoolClosed:  # evicted between lookup and checkout: open it again
                continue
            except psycopg.OperationalError as exc:  # also the pool's timeouts
                raise Unavailable(f"tenant database {database!r} unreachable: {exc}") from exc

    def discard(self, database: str) -> None:
        with self._lock:
            pool = self._pools.pop(database, None)
        if pool is not None:
            pool.close()

    def close_all(self) -> None:
        with self._lock:
            self._closed = True
            pools, self._pools = list(self._pools.values()), OrderedDict()
        for pool in pools:
            pool.close()

    def __len__(self) -> int:
        return len(self._pools)


def _db_span(operation: str, database: str) -> AbstractContextManager[object]:
    from shared.telemetry.tracing import client_span

    attributes = {"db.system.name": "postgresql", "db.namespace": database}
    return client_span(f"postgresql {operation}", attributes)


def enter_tenant(conn: Conn, location: TenantLocation) -> None:
    """Switch the current transaction to the tenant's role and schema (``SET LOCAL``)."""
    conn.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(location.role)))
    conn.execute(
        sql.SQL("SET LOCAL search_path TO {}, pg_catalog").format(sql.Identifier(location.schema))
    )
