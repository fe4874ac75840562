"""The hub end to end: real SDKs on local wire servers, real PostgreSQL, real tenant keys."""

from __future__ import annotations

import json
import secrets
from decimal import Decimal

import pytest

from shared.domain.errors import BudgetExceeded, LlmAuthError, PermissionDenied
from shared.domain.llm import ProviderKind
from shared.domain.llm_hub import LlmRoute
from tests.integration.llm.conftest import RealHub
from tests.integration.llm.test_provider_wire import (
    ANTHROPIC_OK,
    OLLAMA_OK,
    OLLAMA_SHOW,
    OPENAI_OK,
    openai_error,
)
from tests.integration.llm.wire import Reply

REVIEW = {"title": "Fix login", "description": "Fixes #12", "diff": "+x = 1", "files": "-"}


def routes(openai_url: str, anthropic_url: str, timeout_s: float = 5) -> list[dict]:
    return [
        {
            "provider": "openai",
            "model": "gpt-4o",
            "endpoint": f"{openai_url}/v1",
            "timeout_s": timeout_s,
        },
        {"provider": "anthropic", "model": "claude-sonnet-4-5", "endpoint": anthropic_url},
    ]


def audit_kinds(real: RealHub) -> list[str]:
    return [json.loads(line)["kind"] for line in real.audit.export(real.tenant)]


@pytest.mark.parametrize(
    "primary",
    [
        Reply(503, openai_error("The server is overloaded.", "server_error")),
        Reply(429, openai_error("Rate limit reached.", "requests"), {"retry-after": "20"}),
        Reply(200, OPENAI_OK, delay_s=3),
    ],
    ids=["down", "rate-limited", "hangs"],
)
def test_primary_failing_falls_back_to_the_secondary(real_hub: RealHub, servers, primary) -> None:
    openai, anthropic = servers(), servers()
    openai.on("POST", "/v1/chat/completions", primary)
    anthropic.on("POST", "/v1/messages", Reply(200, ANTHROPIC_OK))
    tenant_key = "sk-proj-" + secrets.token_urlsafe(32)
    real_hub.secrets.set(real_hub.tenant, "openai-api-key", tenant_key)

    result = real_hub.hub.complete(
        real_hub.tenant, "task-1", "review", REVIEW, routes(openai.url, anthropic.url, 0.5)
    )

    assert result.route.provider is ProviderKind.ANTHROPIC and not result.scripted
    assert result.completion.model == "claude-sonnet-4-5-20250929"
    (first,) = openai.received
    assert first.headers["authorization"] == f"Bearer {tenant_key}"  # the tenant's own key
    (second,) = anthropic.received
    assert real_hub.platform_anthropic_key in (
        second.headers.get("x-api-key"),
        second.headers.get("authorization", "").removeprefix("Bearer "),
    )
    calls = real_hub.calls.for_task(real_hub.tenant, "task-1")
    assert [(c.provider, c.outcome) for c in calls] == [
        ("openai", calls[0].outcome),
        ("anthropic", "ok"),
    ]
    assert calls[0].outcome in {"llm-unavailable", "llm-rate-limited", "llm-timeout"}
    assert calls[1].id == result.lineage_id and calls[1].model_used == result.completion.model
    assert calls[1].cost_usd == result.cost_usd > 0
    assert audit_kinds(real_hub).count("llm.call") == 2
    usage = real_hub.ledger.today(real_hub.tenant)
    assert usage.tokens == 29 and usage.cost_usd == result.cost_usd


def test_an_auth_error_does_not_fall_back(real_hub: RealHub, servers) -> None:
    openai, anthropic = servers(), servers()
    openai.on(
        "POST",
        "/v1/chat/completions",
        Reply(
            401,
            openai_error(
                "Incorrect API key provided: sk-proj-****abcd.",
                "invalid_request_error",
                "invalid_api_key",
            ),
        ),
    )
    anthropic.on("POST", "/v1/messages", Reply(200, ANTHROPIC_OK))
    real_hub.secrets.set(real_hub.tenant, "openai-api-key", "sk-proj-" + secrets.token_urlsafe(32))

    with pytest.raises(LlmAuthError, match="openai answered 401: Incorrect API key"):
        real_hub.hub.complete(
            real_hub.tenant, "task-2", "review", REVIEW, routes(openai.url, anthropic.url)
        )

    assert len(openai.received) == 1 and anthropic.received == []
    (call,) = real_hub.calls.for_task(real_hub.tenant, "task-2")
    assert call.outcome == "llm-auth" and "401" in (call.error or "")


def test_over_budget_is_refused_before_any_request_reaches_the_server(
    real_hub: RealHub, servers, db
) -> None:
    anthropic = servers()
    anthropic.on("POST", "/v1/messages", Reply(200, ANTHROPIC_OK))
    with db.connection() as conn:
        conn.execute(
            "UPDATE platform.quotas SET daily_token_budget = 2000 WHERE tenant = %s",
            (real_hub.tenant,),
        )
    route = [{"provider": "anthropic", "model": "claude-sonnet-4-5", "endpoint": anthropic.url}]
    real_hub.hub.complete(real_hub.tenant, "t", "review", REVIEW, route, max_tokens=1000)
    assert len(anthropic.received) == 1

    with pytest.raises(BudgetExceeded, match="would be exceeded"):
        real_hub.hub.complete(real_hub.tenant, "t", "review", REVIEW, route, max_tokens=1990)

    assert len(anthropic.received) == 1  # nothing more was sent
    refused = real_hub.calls.for_task(real_hub.tenant, "t")[-1]
    assert refused.outcome == "budget-exceeded" and refused.transcript is None


def test_transcripts_are_sealed_with_the_tenant_key(real_hub: RealHub, servers, new_tenant) -> None:
    anthropic = servers()
    anthropic.on("POST", "/v1/messages", Reply(200, ANTHROPIC_OK))
    route = [LlmRoute(ProviderKind.ANTHROPIC, "claude-sonnet-4-5", endpoint=anthropic.url)]
    result = real_hub.hub.complete(real_hub.tenant, "t", "review", REVIEW, route)

    stored = real_hub.calls.get(real_hub.tenant, result.lineage_id)
    assert stored.transcript is not None and b"Fixes #12" not in stored.transcript
    transcript = real_hub.hub.transcript(real_hub.tenant, result.lineage_id)
    assert "Fixes #12" in transcript.messages[1].content
    assert transcript.completion == result.completion.text
    with pytest.raises(PermissionDenied):
        real_hub.keys.decrypt(new_tenant("thief").slug, stored.transcript)


def test_a_scripted_route_is_flagged_in_the_result_and_the_lineage(
    real_hub: RealHub, tmp_path
) -> None:
    (tmp_path / "recordings").mkdir()
    (tmp_path / "recordings" / "demo.json").write_text(
        json.dumps({"completions": [{"template": "review", "text": '{"verdict": "approve"}'}]})
    )
    result = real_hub.hub.complete(
        real_hub.tenant, "t", "review", REVIEW, [{"provider": "scripted", "model": "demo"}]
    )
    assert result.scripted and result.completion.model == "scripted:demo"
    stored = real_hub.calls.get(real_hub.tenant, result.lineage_id)
    assert stored.scripted and stored.provider == "scripted" and stored.cost_usd == Decimal(0)
    assert stored.model_version is not None and stored.model_version.startswith("sha256:")
    events = [json.loads(line) for line in real_hub.audit.export(real_hub.tenant)]
    assert events[-1]["data"]["scripted"] is True


@pytest.mark.parametrize(
    ("route", "path", "reply"),
    [
        ({"provider": "openai", "model": "gpt-4o"}, "/v1/chat/completions", OPENAI_OK),
        ({"provider": "anthropic", "model": "claude-sonnet-4-5"}, "/v1/messages", ANTHROPIC_OK),
        ({"provider": "ollama", "model": "qwen2.5-coder:7b"}, "/api/chat", OLLAMA_OK),
    ],
    ids=["openai", "anthropic", "ollama"],
)
def test_lineage_records_exactly_the_parameters_the_provider_received(
    real_hub: RealHub, servers, route, path, reply
) -> None:
    server = servers()
    server.on("POST", path, Reply(200, reply))
    server.on("POST", "/api/show", Reply(200, OLLAMA_SHOW))
    endpoint = f"{server.url}/v1" if route["provider"] == "openai" else server.url
    real_hub.secrets.set(real_hub.tenant, "openai-api-key", "sk-proj-" + secrets.token_hex(8))
    real_hub.hub.complete(
        real_hub.tenant, "task-p", "review", REVIEW, [{**route, "endpoint": endpoint}]
    )

    (call,) = real_hub.calls.for_task(real_hub.tenant, "task-p")
    (sent,) = [r for r in server.received if r.path == path]
    conversation = {"model", "messages", "system", "stream"}
    body = sent.json()
    assert body.pop("tools", []) == []  # the Ollama SDK always sends an empty tool list
    on_wire = {k: v for k, v in body.items() if k not in conversation}
    recorded = {
        k: v
        for k, v in call.parameters.items()
        if k not in ("timeout_s", "edit_format", "output_limit")
    }
    assert recorded == on_wire and recorded  # nothing claimed that was not sent, nothing missed
    if route["provider"] == "anthropic":
        assert "temperature" not in recorded  # the adapter never sends one
