"""The intake service on the real database, with local secret files and a recording fake of the
Durable client (the e2e tests use the real one through devhost)."""

from __future__ import annotations

import asyncio
import base64
import secrets as token
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from shared.adapters.secrets.local import LocalSecretStore
from shared.adapters.store.postgres.audit import PostgresAuditLog
from shared.adapters.store.postgres.database import Database
from shared.adapters.store.postgres.intake import PostgresIntakeLedger
from shared.adapters.store.postgres.tenants import PostgresTenantDirectory
from shared.auth.webhooks import github_signature
from shared.domain.errors import DomainError
from shared.ports.orchestrations import FakeOrchestrations
from shared.services.intake import IntakeResult, IntakeService, ReceiveDelivery
from tests.unit.intake.deliveries import Credentials, Fixture, headers_for

CREDENTIALS = Credentials()


@dataclass
class Intake:
    """The service under test, its fakes, and helpers to send deliveries."""

    service: IntakeService
    orchestrations: FakeOrchestrations
    db: Database
    directory: PostgresTenantDirectory
    secrets: LocalSecretStore
    tenants: list[str] = field(default_factory=list)

    def tenant(self, triggers: dict[str, Any] | None = None, base: str = "in") -> str:
        slug = f"{base}-{token.token_hex(4)}"
        self.directory.provision(slug, slug, {"triggers": triggers or {}})
        for name, value in CREDENTIALS.store_entries().items():
            self.secrets.set(slug, name, value)
        return slug

    def send(
        self,
        tenant: str,
        item: Fixture,
        *,
        delivery_id: str | None = None,
        headers: dict[str, str] | None = None,
        provider: str | None = None,
        received_at: datetime | None = None,
    ) -> IntakeResult:
        return asyncio.run(
            self.receive(
                tenant,
                item,
                delivery_id=delivery_id,
                headers=headers,
                provider=provider,
                received_at=received_at,
            )
        )

    async def receive(
        self,
        tenant: str,
        item: Fixture,
        *,
        delivery_id: str | None = None,
        headers: dict[str, str] | None = None,
        provider: str | None = None,
        received_at: datetime | None = None,
    ) -> IntakeResult:
        sent = (
            headers
            if headers is not None
            else headers_for(item, CREDENTIALS, delivery_id=delivery_id)
        )
        command = ReceiveDelivery(
            provider=provider or item.provider.value,
            tenant=tenant,
            headers={k.lower(): v for k, v in sent.items()},
            body=item.body,
            received_at=received_at or datetime.now(UTC),
        )
        return await self.service.receive(command, self.orchestrations)

    def error(self, tenant: str, item: Fixture, **kwargs: Any) -> DomainError:
        with pytest.raises(DomainError) as caught:
            self.send(tenant, item, **kwargs)
        return caught.value

    def rows(self, sql: str, *params: Any) -> list[dict[str, Any]]:
        with self.db.connection() as conn:
            return conn.execute(sql, params).fetchall()

    def tenant_rows(self, tenant: str, sql: str, *params: Any) -> list[dict[str, Any]]:
        with self.db.tenant_transaction(self.directory.locate(tenant)) as tx:
            return tx.conn.execute(sql, params).fetchall()

    def tasks(self, tenant: str) -> list[dict[str, Any]]:
        return self.tenant_rows(tenant, "SELECT * FROM tasks ORDER BY created_at")

    def deliveries(self, tenant: str) -> list[dict[str, Any]]:
        return self.tenant_rows(tenant, "SELECT * FROM webhook_deliveries ORDER BY id")

    def audit(self, tenant: str) -> list[dict[str, Any]]:
        return self.tenant_rows(
            tenant, "SELECT kind, actor, task_id, data FROM audit_events ORDER BY seq"
        )


@pytest.fixture(scope="session")
def secret_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One secrets directory for the session: tenants may outlive a test (module-scoped)."""
    return tmp_path_factory.mktemp("intake-secrets")


@pytest.fixture
def make_intake(
    db: Database, tenant_directory: PostgresTenantDirectory, secret_dir: Path
) -> Iterator[Callable[..., Intake]]:
    def make(**options: Any) -> Intake:
        secrets = LocalSecretStore(secret_dir)
        ledger = PostgresIntakeLedger(db, PostgresAuditLog(db, tenant_directory))
        service = IntakeService(
            tenants=tenant_directory,
            secrets=secrets,
            ledger=ledger,
            max_body_bytes=options.pop("max_body_bytes", 5 * 1024 * 1024),
            cache_seconds=options.pop("cache_seconds", 0.0),
            **options,
        )
        return Intake(service, FakeOrchestrations(), db, tenant_directory, secrets)

    yield make


@pytest.fixture
def intake(make_intake: Callable[..., Intake]) -> Intake:
    return make_intake()


def basic(credentials: str) -> str:
    return "Basic " + base64.b64encode(credentials.encode()).decode()


def resigned(item: Fixture, headers: dict[str, str], body: bytes) -> dict[str, str]:
    """``headers`` with GitHub's signature recomputed for ``body``."""
    if "X-Hub-Signature-256" in headers:
        return {**headers, "X-Hub-Signature-256": github_signature(CREDENTIALS.github, body)}
    return headers
