"""The real hub: PostgreSQL stores, local tenant keys and secrets, SDK adapters, wire servers."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from shared.adapters.keys.local import LocalKeyProvider
from shared.adapters.llm.call_log import PostgresLlmCallLog
from shared.adapters.llm.postgres import PostgresCircuitStore, PostgresUsageLedger
from shared.adapters.llm.providers import ConfiguredLlmProviders
from shared.adapters.secrets.local import LocalSecretStore
from shared.adapters.store.postgres.audit import PostgresAuditLog
from shared.adapters.store.postgres.database import Database
from shared.config import Settings
from shared.services.llm_hub import LlmHub
from shared.services.llm_hub.breaker import BreakerPolicy, CircuitBreaker
from tests.integration.llm.wire import WireServer, wire_server


@dataclass
class RealHub:
    hub: LlmHub
    tenant: str
    secrets: LocalSecretStore
    keys: LocalKeyProvider
    calls: PostgresLlmCallLog
    audit: PostgresAuditLog
    ledger: PostgresUsageLedger
    platform_anthropic_key: str


@pytest.fixture
def servers() -> Iterator[Callable[[], WireServer]]:
    """Start as many wire servers as a test needs; all stop at the end."""
    started: list[WireServer] = []

    def start() -> WireServer:
        server = WireServer().start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def forget_circuits(db: Database) -> None:
    """Local ports get reused between tests: start every test with no breaker history for them."""
    with db.connection() as conn:
        conn.execute("DELETE FROM platform.llm_circuits WHERE endpoint LIKE %s", ("%127.0.0.1%",))


@pytest.fixture
def real_hub(db, tenant_directory, new_tenant, tmp_path: Path) -> RealHub:
    forget_circuits(db)
    anthropic_key = "sk-ant-platform-" + secrets.token_urlsafe(24)
    settings = Settings(data_dir=tmp_path, anthropic_api_key=anthropic_key)
    secret_store = LocalSecretStore(tmp_path)
    keys = LocalKeyProvider(tmp_path)
    audit = PostgresAuditLog(db, tenant_directory)
    calls = PostgresLlmCallLog(db, tenant_directory, audit)
    ledger = PostgresUsageLedger(db)
    hub = LlmHub(
        providers=ConfiguredLlmProviders(settings, secret_store),
        tenants=tenant_directory,
        breaker=CircuitBreaker(PostgresCircuitStore(db), BreakerPolicy(failure_threshold=3)),
        ledger=ledger,
        calls=calls,
        keys=keys,
    )
    tenant = new_tenant("hub").slug
    return RealHub(hub, tenant, secret_store, keys, calls, audit, ledger, anthropic_key)


__all__ = ["RealHub", "wire_server"]
