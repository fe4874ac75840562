"""The hub's routing, fallback, budgets, breaker use, redaction and lineage, on fakes."""

from __future__ import annotations

import json
import logging
import secrets
import string
from decimal import Decimal

import pytest

from shared.domain.errors import (
    BudgetExceeded,
    CircuitOpen,
    InvalidInput,
    LlmAuthError,
    LlmBadRequest,
    LlmRateLimited,
    LlmTimeout,
    LlmUnavailable,
    TenantDisabled,
)
from shared.domain.llm import Completion, FinishReason, Message, ProviderKind, ResponseFormat, Role
from shared.domain.llm_hub import CircuitStatus, LlmRoute
from shared.domain.llm_tools import ToolCall, ToolSpec
from shared.domain.tenant import TenantStatus
from shared.policies.secrets import REDACTION_KEY_PURPOSE, placeholder
from shared.services.llm_hub.breaker import credential_circuit
from shared.services.llm_hub.hub import PATCH_OUTPUT_LIMITS
from shared.services.llm_hub.transcripts import unseal
from tests.unit.llm.conftest import PRIMARY, SECONDARY, Rig

REVIEW = {"title": "Fix login", "description": "Fixes #1", "diff": "+x = 1", "files": "(none)"}


def test_first_route_answers_with_lineage_usage_and_sealed_transcript(rig: Rig) -> None:
    fake = rig.provider(PRIMARY, "looks good")
    result = rig.hub.complete("acme", "task-1", "review", REVIEW, [PRIMARY], max_tokens=100)

    assert result.completion.text == "looks good"
    assert result.route == PRIMARY and not result.scripted
    assert result.template.name == "review" and result.template.version == 1
    assert result.attempts == ("openai/gpt-4o: ok",)
    (request,) = fake.requests
    assert request.model == "gpt-4o" and request.max_tokens == 100 and request.template == "review"
    assert [m.role for m in request.messages] == [Role.SYSTEM, Role.USER]
    assert "Fixes #1" in request.messages[1].content

    (call,) = rig.calls.calls
    assert call.id == result.lineage_id and call.outcome == "ok" and call.task_id == "task-1"
    assert call.template == result.template and call.provider == "openai"
    assert call.parameters["max_tokens"] == 100 and call.parameters["timeout_s"] == 5
    assert call.input_tokens == result.completion.input_tokens > 0
    transcript = unseal(rig.keys, "acme", call.id, call.transcript or b"")
    assert transcript.messages == request.messages and transcript.completion == "looks good"
    assert rig.hub.transcript("acme", call.id) == transcript

    (entry,) = rig.ledger.entries.values()
    assert entry["state"] == "settled"
    assert entry["tokens"] == result.completion.input_tokens + result.completion.output_tokens
    assert entry["cost_usd"] == result.cost_usd > 0


@pytest.mark.parametrize(
    "failure",
    [LlmUnavailable("down"), LlmRateLimited("slow", retry_after=3), LlmTimeout("late")],
    ids=["unavailable", "rate-limited", "timeout"],
)
def test_falls_back_to_the_next_route(rig: Rig, failure: Exception) -> None:
    primary = rig.provider(PRIMARY, failure)
    secondary = rig.provider(SECONDARY, "from the secondary")

    result = rig.hub.complete("acme", "t", "review", REVIEW, [PRIMARY, SECONDARY])

    assert result.completion.text == "from the secondary" and result.route == SECONDARY
    assert len(primary.requests) == 1 and len(secondary.requests) == 1
    assert result.attempts[0].startswith("openai/gpt-4o: llm-")
    assert [c.outcome for c in rig.calls.calls] == [failure.code, "ok"]  # type: ignore[attr-defined]
    assert [c.attempt for c in rig.calls.calls] == [1, 2]
    failed_usage = [e for e in rig.ledger.entries.values() if e["provider"] == "openai"]
    assert failed_usage[0]["tokens"] == 0 and failed_usage[0]["state"] == "settled"


@pytest.mark.parametrize(
    "failure", [LlmAuthError("bad key"), LlmBadRequest("bad model")], ids=["auth", "bad-request"]
)
def test_no_fallback_on_auth_or_bad_request(rig: Rig, failure: Exception) -> None:
    rig.provider(PRIMARY, failure)
    secondary = rig.provider(SECONDARY, "never")

    with pytest.raises(type(failure)) as raised:
        rig.hub.complete("acme", "t", "review", REVIEW, [PRIMARY, SECONDARY])

    assert raised.value is failure
    assert secondary.requests == []
    assert [c.outcome for c in rig.calls.calls] == [failure.code]  # type: ignore[attr-defined]
    assert rig.circuits.get(rig.providers.providers[PRIMARY.label].endpoint).failures == 0


def test_every_route_failing_says_so_and_a_single_route_keeps_its_error(rig: Rig) -> None:
    rig.provider(PRIMARY, LlmUnavailable("down"))
    rig.provider(SECONDARY, LlmRateLimited("slow", retry_after=7))
    with pytest.raises(LlmUnavailable) as both:
        rig.hub.complete("acme", "t", "review", REVIEW, [PRIMARY, SECONDARY])
    assert both.value.code == "llm-routes-exhausted"
    assert "openai/gpt-4o: llm-unavailable" in both.value.message
    assert "anthropic/claude-sonnet-4-5: llm-rate-limited" in both.value.message

    with pytest.raises(LlmRateLimited) as single:
        rig.hub.complete("acme", "t", "review", REVIEW, [SECONDARY])
    assert single.value.retry_after == 7


def test_an_open_circuit_skips_the_route_without_calling_it(rig: Rig) -> None:
    primary = rig.provider(PRIMARY, LlmUnavailable("down"))
    rig.provider(SECONDARY, "ok")
    for _ in range(2):  # threshold 2 opens the circuit
        rig.hub.complete("acme", "t", "review", REVIEW, [PRIMARY, SECONDARY])
    assert rig.circuits.get(primary.endpoint).status is CircuitStatus.OPEN

    result = rig.hub.complete("acme", "t", "review", REVIEW, [PRIMARY, SECONDARY])

    assert len(primary.requests) == 2
    assert result.attempts == ("openai/gpt-4o: circuit-open", "anthropic/claude-sonnet-4-5: ok")
    skipped = rig.calls.calls[-2]
    assert skipped.outcome == CircuitOpen.code and skipped.transcript is None


def test_over_budget_is_refused_before_the_provider_is_called(rig: Rig) -> None:
    fake = rig.provider(PRIMARY, "never")
    rig.ledger.budgets["acme"] = (1000, Decimal(50))

    with pytest.raises(BudgetExceeded):
        rig.hub.complete("acme", "t", "review", REVIEW, [PRIMARY], max_tokens=5000)

    assert fake.requests == []
    (call,) = rig.calls.calls
    assert call.outcome == "budget-exceeded" and call.transcript is None
    assert rig.ledger.entries == {}


def test_cost_budget_counts_the_price_of_the_model(rig: Rig) -> None:
    fake = rig.provider(PRIMARY, "never")
    rig.ledger.budgets["acme"] = (10**9, Decimal("0.01"))  # gpt-4o: $10 per M output tokens
    with pytest.raises(BudgetExceeded):
        rig.hub.complete("acme", "t", "review", REVIEW, [PRIMARY], max_tokens=2000)
    assert fake.requests == []


def test_secrets_are_redacted_before_the_call_and_counted(rig: Rig) -> None:
    fake = rig.provider(PRIMARY, "ok")
    token = "ghp_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5"
    variables = {**REVIEW, "diff": f'+GITHUB_TOKEN = "{token}"\n+other = "{token}"'}

    result = rig.hub.complete("acme", "t", "review", variables, [PRIMARY])

    sent = "\n".join(m.content for m in fake.requests[0].messages)
    assert token not in sent and sent.count("<REDACTED:github-token:") == 2
    assert result.redactions == 2 and rig.calls.calls[0].redactions == 2
    transcript = rig.hub.transcript("acme", result.lineage_id)
    assert token not in json.dumps([m.content for m in transcript.messages])


def test_placeholders_are_keyed_per_tenant(rig: Rig) -> None:
    fake = rig.provider(PRIMARY, "ok")
    rig.tenants.provision("beta", "Beta")
    password = "hunter2isgreat"
    variables = {**REVIEW, "diff": f"+DB_PASSWORD={password}"}

    rig.hub.complete("acme", "t", "review", variables, [PRIMARY])
    rig.hub.complete("beta", "t", "review", variables, [PRIMARY])

    acme, beta = ("\n".join(m.content for m in r.messages) for r in fake.requests)
    acme_key = rig.keys.derive_key("acme", REDACTION_KEY_PURPOSE)
    assert placeholder("secret-assignment", password, key=acme_key) in acme
    assert password not in acme and password not in beta
    assert acme != beta  # a tenant's placeholders say nothing about another tenant's


def test_rate_limits_count_against_the_credential_not_the_endpoint(rig: Rig) -> None:
    primary = rig.provider(PRIMARY, LlmRateLimited("slow"))
    primary.credential = "fingerprint-a"
    for _ in range(2):  # threshold 2
        with pytest.raises(LlmRateLimited):
            rig.hub.complete("acme", "t", "review", REVIEW, [PRIMARY])

    assert rig.circuits.get(primary.endpoint).status is CircuitStatus.CLOSED
    own = credential_circuit(primary.endpoint, "fingerprint-a")
    assert rig.circuits.get(own).status is CircuitStatus.OPEN
    with pytest.raises(CircuitOpen):
        rig.hub.complete("acme", "t", "review", REVIEW, [PRIMARY])
    assert len(primary.requests) == 2

    primary.credential = "fingerprint-b"  # another tenant's key on the same endpoint
    primary._answers = ["ok"]
    assert rig.hub.complete("acme", "t", "review", REVIEW, [PRIMARY]).completion.text == "ok"


def test_scripted_answers_are_flagged_and_logged(rig: Rig, caplog) -> None:
    route = LlmRoute(ProviderKind.SCRIPTED, "demo")
    rig.provider(route, "recorded")
    with caplog.at_level(logging.WARNING, logger="shared.services.llm_hub"):
        result = rig.hub.complete("acme", "t", "review", REVIEW, [route])
    assert result.scripted and rig.calls.calls[0].scripted
    assert result.to_dict()["scripted"] is True
    assert any("SCRIPTED" in r.getMessage() for r in caplog.records)


def test_edit_format_picks_the_template_and_a_route_format_wins(rig: Rig) -> None:
    whole = LlmRoute(ProviderKind.OLLAMA, "qwen", edit_format="whole", timeout_s=5)
    rig.provider(whole, LlmUnavailable("down"))
    rig.provider(PRIMARY, "--- a/x\n+++ b/x\n")
    variables = {
        "command": "fix",
        "instruction": "fix it",
        "title": "T",
        "body": "B",
        "discussion": "",
        "files": [{"path": "app.py", "text": "x = 1\n"}],
        "feedback": "",
        "attempt": 1,
    }

    out = rig.hub.generate_patch(
        tenant="acme",
        task_id="t",
        edit_format="udiff",
        routes=[whole, PRIMARY],
        variables=variables,
    )

    ollama, openai = rig.providers.providers[whole.label], rig.providers.providers[PRIMARY.label]
    assert ollama.requests[0].template == "patch_whole"  # type: ignore[attr-defined]
    (request,) = openai.requests  # type: ignore[attr-defined]
    assert request.template == "patch_udiff"
    assert "### app.py\n```\nx = 1\n```" in request.messages[1].content
    assert "previous answer" not in request.messages[1].content
    assert [c.parameters["edit_format"] for c in rig.calls.calls] == ["whole", "udiff"]
    assert out["answer"] == "--- a/x\n+++ b/x\n" and out["format"] == "udiff"
    assert out["llm"]["provider"] == "openai" and out["llm"]["edit_format"] == "udiff"
    assert "text" not in out["llm"] and json.loads(json.dumps(out)) == out


def test_feedback_of_a_failed_attempt_reaches_the_prompt(rig: Rig) -> None:
    fake = rig.provider(PRIMARY, "answer")
    variables = {
        "command": "fix",
        "instruction": "i",
        "title": "t",
        "body": "b",
        "discussion": "",
        "files": [],
        "feedback": "hunk 1 did not apply",
        "attempt": 2,
    }
    rig.hub.generate_patch(
        tenant="acme", task_id="t", edit_format="search-replace", routes=None, variables=variables
    )
    prompt = fake.requests[0].messages[1].content
    assert "hunk 1 did not apply" in prompt and "attempt 2" in prompt
    assert fake.requests[0].template == "patch_search_replace"


def test_previous_answer_tools_and_redacted_tool_turns_reach_the_provider(rig: Rig) -> None:
    token = "ghp_" + "".join(secrets.choice(string.ascii_letters) for _ in range(36))
    search = ToolCall("c2", "search_code", {"query": f"token {token}"})
    fake = rig.provider(
        PRIMARY, Completion("", "gpt", 5, 5, 1, FinishReason.TOOL_CALLS, tool_calls=(search,))
    )
    read = ToolCall("c1", "read_file", {"path": "settings.env"})
    history = (
        Message(Role.ASSISTANT, "", tool_calls=(read,)),
        Message(Role.TOOL, f"1  GITHUB_TOKEN={token}", tool_call_id="c1", tool_name="read_file"),
    )
    tools = (ToolSpec("read_file", "Read a file."),)
    variables = {
        "command": "fix",
        "instruction": "i",
        "title": "t",
        "body": "b",
        "discussion": "",
        "files": [],
        "feedback": "check failed: test_x",
        "previous_answer": "my earlier diff",
        "attempt": 2,
    }
    out = rig.hub.generate_patch(
        tenant="acme",
        task_id="t",
        edit_format="udiff",
        routes=None,
        variables=variables,
        history=history,
        tools=tools,
    )
    request = fake.requests[0]
    assert request.tools == tools
    assert request.messages[-2].tool_calls == (read,)
    assert request.messages[-1].tool_call_id == "c1"
    assert token not in request.messages[-1].content
    assert "<REDACTED:github-token:" in request.messages[-1].content
    prompt = request.messages[1].content
    assert prompt.index("my earlier diff") < prompt.index("check failed: test_x")
    assert out["llm"]["tool_calls"] == [search.to_dict()] and out["llm"]["redactions"] == 1
    transcript = rig.hub.transcript("acme", out["llm"]["lineage_id"])
    assert transcript.messages[-2].tool_calls == (read,)
    assert transcript.messages[-1].tool_call_id == "c1"
    assert [c.name for c in transcript.tool_calls] == ["search_code"]
    assert token not in repr(transcript)  # the model's arguments are redacted when sealed


def test_routes_come_from_the_call_then_tenant_settings_then_defaults(rig: Rig) -> None:
    assert rig.hub.routes_for("acme") == (PRIMARY,)
    rig.tenants.update_settings("acme", {"llm_routes": [SECONDARY.to_dict()]})
    assert rig.hub.routes_for("acme") == (SECONDARY,)
    assert rig.hub.routes_for("acme", [PRIMARY.to_dict()]) == (PRIMARY,)
    assert not rig.hub.is_scripted("acme")
    assert rig.hub.is_scripted("acme", [PRIMARY, {"provider": "scripted", "model": "demo"}])


def test_malformed_tenant_routes_are_refused_clearly(rig: Rig) -> None:
    rig.tenants.update_settings("acme", {"llm_routes": [{"provider": "gpt", "model": "x"}]})
    with pytest.raises(InvalidInput, match="provider must be one of"):
        rig.hub.complete("acme", "t", "review", REVIEW)


def test_a_disabled_tenant_makes_no_call(rig: Rig) -> None:
    fake = rig.provider(PRIMARY, "never")
    rig.tenants.set_status("acme", TenantStatus.DISABLED)
    with pytest.raises(TenantDisabled):
        rig.hub.complete("acme", "t", "review", REVIEW)
    assert fake.requests == []


def test_missing_variables_and_formats_are_input_errors(rig: Rig) -> None:
    rig.provider(PRIMARY, "never")
    with pytest.raises(InvalidInput, match="needs variable"):
        rig.hub.complete("acme", "t", "review", {"title": "x"})
    with pytest.raises(InvalidInput, match="needs an edit format"):
        rig.hub.complete("acme", "t", "patch_{edit_format}", {})
    assert rig.calls.calls == []


def test_json_hint_and_parameters_reach_the_provider(rig: Rig) -> None:
    fake = rig.provider(PRIMARY, "{}")
    rig.hub.complete(
        "acme",
        "t",
        "review.v1",
        REVIEW,
        response_format=ResponseFormat.JSON,
        temperature=0.3,
        stop=["END"],
    )
    (request,) = fake.requests
    assert request.response_format is ResponseFormat.JSON
    assert request.temperature == 0.3 and request.stop == ("END",)


PATCH_VARIABLES = {
    "command": "fix",
    "instruction": "fix it",
    "title": "T",
    "body": "B",
    "discussion": "",
    "files": [{"path": "app.py", "text": "x = 1\n"}],
    "feedback": "",
    "attempt": 1,
}


def _cut_short(text: str) -> Completion:
    return Completion(text, "gpt-4o", 10, 4096, 5, FinishReason.LENGTH)


def test_a_patch_cut_short_by_the_output_limit_is_asked_again_with_a_larger_one(
    rig: Rig,
) -> None:
    fake = rig.provider(PRIMARY, _cut_short("--- a/app.py\n+++ b/app.py\n@@ -1 +1 @@\n-x"), "full")

    out = rig.hub.generate_patch(
        tenant="acme", task_id="t", edit_format="udiff", routes=[PRIMARY], variables=PATCH_VARIABLES
    )

    assert out["answer"] == "full" and out["llm"]["finish_reason"] == "stop"
    assert [r.max_tokens for r in fake.requests] == list(PATCH_OUTPUT_LIMITS)
    assert [c.outcome for c in rig.calls.calls] == ["output-truncated", "ok"]
    assert [c.parameters["max_tokens"] for c in rig.calls.calls] == list(PATCH_OUTPUT_LIMITS)
    assert out["llm"]["attempts"] == [
        f"openai/gpt-4o: output-truncated (max_tokens {PATCH_OUTPUT_LIMITS[0]})",
        f"openai/gpt-4o: ok (max_tokens {PATCH_OUTPUT_LIMITS[1]})",
    ]


@pytest.mark.parametrize(
    "second", [_cut_short("still cut"), LlmBadRequest("max_tokens is too large")]
)
def test_a_patch_still_cut_short_comes_back_flagged_never_as_complete(
    rig: Rig, second: object
) -> None:
    rig.provider(PRIMARY, _cut_short("first cut"), second)

    out = rig.hub.generate_patch(
        tenant="acme", task_id="t", edit_format="udiff", routes=[PRIMARY], variables=PATCH_VARIABLES
    )

    assert out["llm"]["finish_reason"] == "length"
    assert rig.calls.calls[0].outcome == "output-truncated"
    assert out["llm"]["attempts"][-1].endswith(
        "output-truncated (max_tokens 16384)"
        if isinstance(second, Completion)
        else "max_tokens 16384: llm-bad-request"
    )
