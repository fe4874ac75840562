"""The hub on in-memory fakes (ports' fakes; tenants kept in a dict)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import pytest

from shared.domain.errors import TenantNotFound
from shared.domain.llm import ProviderKind
from shared.domain.llm_hub import LlmRoute
from shared.domain.tenant import Tenant, TenantLocation, TenantStatus
from shared.ports.keys import FakeKeyProvider
from shared.ports.llm import (
    FakeCircuitStore,
    FakeLlm,
    FakeLlmCallLog,
    FakeLlmProviders,
    FakeUsageLedger,
)
from shared.ports.tenants import TenantDirectory
from shared.services.llm_hub import LlmHub
from shared.services.llm_hub.breaker import BreakerPolicy, CircuitBreaker

PRIMARY = LlmRoute(ProviderKind.OPENAI, "gpt-4o", timeout_s=5)
SECONDARY = LlmRoute(ProviderKind.ANTHROPIC, "claude-sonnet-4-5", timeout_s=5)


class InMemoryTenants(TenantDirectory):
    def __init__(self) -> None:
        self._tenants: dict[str, Tenant] = {}

    def provision(
        self, slug: str, display_name: str, settings: dict[str, Any] | None = None
    ) -> Tenant:
        tenant = Tenant(slug, display_name, TenantStatus.ACTIVE, datetime.now(UTC), settings or {})
        self._tenants[slug] = tenant
        return tenant

    def deprovision(self, slug: str) -> None:
        self._tenants.pop(slug, None)

    def get(self, slug: str) -> Tenant:
        try:
            return self._tenants[slug]
        except KeyError as exc:
            raise TenantNotFound(slug) from exc

    def list(self) -> list[Tenant]:
        return list(self._tenants.values())

    def set_status(self, slug: str, status: TenantStatus) -> Tenant:
        self._tenants[slug] = replace(self.get(slug), status=status)
        return self._tenants[slug]

    def update_settings(self, slug: str, settings: dict[str, Any]) -> Tenant:
        current = self.get(slug)
        self._tenants[slug] = replace(current, settings={**current.settings, **settings})
        return self._tenants[slug]

    def locate(self, slug: str) -> TenantLocation:
        self.get(slug)
        return TenantLocation(slug, f"tenant_{slug}", f"tenant_{slug}")


@dataclass
class Rig:
    hub: LlmHub
    tenants: InMemoryTenants
    providers: FakeLlmProviders
    circuits: FakeCircuitStore
    ledger: FakeUsageLedger
    calls: FakeLlmCallLog
    keys: FakeKeyProvider

    def provider(self, route: LlmRoute, *answers: Any) -> FakeLlm:
        fake = FakeLlm(
            *answers, kind=route.provider, endpoint=f"{route.provider} fake-{route.model}"
        )
        self.providers.providers[route.label] = fake
        return fake


@pytest.fixture
def rig() -> Rig:
    tenants = InMemoryTenants()
    tenants.provision("acme", "Acme")
    providers = FakeLlmProviders({}, defaults=[PRIMARY])
    circuits, ledger, calls, keys = (
        FakeCircuitStore(),
        FakeUsageLedger(),
        FakeLlmCallLog(),
        FakeKeyProvider(),
    )
    hub = LlmHub(
        providers=providers,
        tenants=tenants,
        breaker=CircuitBreaker(circuits, BreakerPolicy(failure_threshold=2, cooldown_s=30)),
        ledger=ledger,
        calls=calls,
        keys=keys,
    )
    return Rig(hub, tenants, providers, circuits, ledger, calls, keys)
