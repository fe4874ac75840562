"""Fair circuit breaking on one shared endpoint, two tenants with their own API keys: the real
hub, the OpenAI SDK on a local wire server and the circuits in PostgreSQL.

One tenant's 429s open only its own credential's circuit; the endpoint's 5xx open the endpoint's
circuit for everyone; a budget refusal opens nothing.
"""

from __future__ import annotations

import secrets

import pytest

from shared.adapters.llm.postgres import PostgresCircuitStore
from shared.adapters.llm.providers import credential_fingerprint
from shared.domain.errors import BudgetExceeded, CircuitOpen, LlmRateLimited, LlmUnavailable
from shared.domain.llm_hub import CircuitStatus
from shared.services.llm_hub.breaker import credential_circuit
from tests.integration.llm.conftest import RealHub
from tests.integration.llm.test_provider_wire import OPENAI_OK, openai_error
from tests.integration.llm.wire import Reply, WireServer

PATH = "/v1/chat/completions"
REVIEW = {"title": "Fix login", "description": "Fixes #12", "diff": "+x = 1", "files": "-"}
RATE_LIMITED = Reply(429, openai_error("Rate limit reached.", "requests"), {"retry-after": "20"})
DOWN = Reply(503, openai_error("The server is overloaded.", "server_error"))


def key() -> str:
    return "sk-proj-" + secrets.token_urlsafe(32)


@pytest.fixture
def shared_endpoint(real_hub: RealHub, new_tenant, servers) -> tuple[WireServer, str, str, str]:
    """Tenants A (``real_hub.tenant``) and B on one OpenAI endpoint, each with its own key;
    returns the server, B's slug and both keys."""
    server = servers()
    tenant_b = new_tenant("hub-b").slug
    key_a, key_b = key(), key()
    real_hub.secrets.set(real_hub.tenant, "openai-api-key", key_a)
    real_hub.secrets.set(tenant_b, "openai-api-key", key_b)
    return server, tenant_b, key_a, key_b


def call(real: RealHub, tenant: str, server: WireServer) -> str:
    route = [{"provider": "openai", "model": "gpt-4o", "endpoint": f"{server.url}/v1"}]
    try:
        real.hub.complete(tenant, "task", "review", REVIEW, route)
    except (LlmRateLimited, LlmUnavailable, BudgetExceeded) as exc:
        return exc.code
    return "ok"


def test_one_tenants_429s_do_not_stop_another_tenants_calls(
    real_hub: RealHub, shared_endpoint, db
) -> None:
    server, tenant_b, key_a, key_b = shared_endpoint
    server.on("POST", PATH, Reply(200, OPENAI_OK))
    server.on("POST", PATH, RATE_LIMITED, authorization=f"Bearer {key_a}")

    # the fixture's threshold is 3: A's key is refused 3 times, then its circuit is open
    assert [call(real_hub, real_hub.tenant, server) for _ in range(3)] == ["llm-rate-limited"] * 3
    assert call(real_hub, real_hub.tenant, server) == CircuitOpen.code
    assert len(server.requests_to(PATH)) == 3  # the open circuit sent nothing

    assert [call(real_hub, tenant_b, server) for _ in range(3)] == ["ok"] * 3
    sent = [r.headers["authorization"] for r in server.requests_to(PATH)]
    assert sent[3:] == [f"Bearer {key_b}"] * 3

    store = PostgresCircuitStore(db)
    endpoint = f"openai {server.url}/v1"
    assert store.get(endpoint).status is CircuitStatus.CLOSED
    circuit_a = credential_circuit(endpoint, credential_fingerprint(f"{server.url}/v1", key_a))
    assert store.get(circuit_a).status is CircuitStatus.OPEN
    with db.connection() as conn:  # circuits are named by fingerprint, never by the key
        names = [
            row["endpoint"] for row in conn.execute("SELECT endpoint FROM platform.llm_circuits")
        ]
    assert circuit_a in names and not any(key_a in n or key_b in n for n in names)


def test_endpoint_5xx_open_the_circuit_for_every_tenant(
    real_hub: RealHub, shared_endpoint, db
) -> None:
    server, tenant_b, _, _ = shared_endpoint
    server.on("POST", PATH, DOWN)

    assert [call(real_hub, real_hub.tenant, server) for _ in range(3)] == ["llm-unavailable"] * 3
    assert call(real_hub, tenant_b, server) == CircuitOpen.code
    assert call(real_hub, real_hub.tenant, server) == CircuitOpen.code
    assert len(server.requests_to(PATH)) == 3
    store = PostgresCircuitStore(db)
    assert store.get(f"openai {server.url}/v1").status is CircuitStatus.OPEN


def test_budget_refusals_open_no_circuit(real_hub: RealHub, shared_endpoint, db) -> None:
    server, tenant_b, _, _ = shared_endpoint
    server.on("POST", PATH, Reply(200, OPENAI_OK))
    with db.connection() as conn:
        conn.execute(
            "UPDATE platform.quotas SET daily_token_budget = 10 WHERE tenant = %s",
            (real_hub.tenant,),
        )

    assert [call(real_hub, real_hub.tenant, server) for _ in range(5)] == ["budget-exceeded"] * 5
    assert server.requests_to(PATH) == []
    assert call(real_hub, tenant_b, server) == "ok"
    with db.connection() as conn:
        rows = conn.execute(
            "SELECT endpoint, state, failures FROM platform.llm_circuits WHERE endpoint LIKE %s",
            (f"%{server.url}%",),
        ).fetchall()
    assert rows and all(r["state"] == "closed" and r["failures"] == 0 for r in rows)
