"""No secret from a repository reaches a provider, a log or a stored record.

A corpus of generated secrets (GitHub, GitLab, OpenAI, Anthropic, Slack, AWS, Azure keys and
tokens, a private key, passwords in URLs, assignments and connection strings, a high-entropy
string) sits in the context files of a patch request sent through each provider's wire.
"""

from __future__ import annotations

import json
import logging

import pytest

from shared.policies.secrets import REDACTION_KEY_PURPOSE, placeholder
from tests.integration.llm.conftest import RealHub
from tests.integration.llm.secret_corpus import code_files, generate, leaked
from tests.integration.llm.test_provider_wire import (
    ANTHROPIC_OK,
    OLLAMA_OK,
    OLLAMA_SHOW,
    OPENAI_OK,
)
from tests.integration.llm.wire import Reply, WireServer

SECRETS = generate()

WIRES = {
    "openai": (
        "/v1/chat/completions",
        OPENAI_OK,
        lambda url: {"endpoint": f"{url}/v1", "model": "gpt-4o"},
    ),
    "azure-openai": (
        "/openai/deployments/gpt4o/chat/completions",
        OPENAI_OK,
        lambda url: {"endpoint": url, "model": "gpt4o"},
    ),
    "anthropic": (
        "/v1/messages",
        ANTHROPIC_OK,
        lambda url: {"endpoint": url, "model": "claude-sonnet-4-5"},
    ),
    "ollama": ("/api/chat", OLLAMA_OK, lambda url: {"endpoint": url, "model": "qwen2.5-coder:7b"}),
}


def strings(value: object) -> list[str]:
    """Every string inside a JSON document (so escapes such as ``\\n`` are undone)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []


@pytest.mark.parametrize("provider", list(WIRES))
def test_generated_secrets_never_reach_the_provider_logs_or_storage(
    real_hub: RealHub, servers, db, tenant_directory, caplog, provider: str
) -> None:
    path, ok, route = WIRES[provider]
    server: WireServer = servers()
    server.on("POST", path, Reply(200, ok))
    server.on("POST", "/api/show", Reply(200, OLLAMA_SHOW))
    for name in ("openai-api-key", "azure-openai-api-key"):
        real_hub.secrets.set(real_hub.tenant, name, "test-key-not-a-secret")
    files = code_files(SECRETS)
    assert len(leaked(SECRETS, json.dumps(files))) == len(SECRETS)  # the corpus is in the input

    with caplog.at_level(logging.DEBUG):
        out = real_hub.hub.generate_patch(
            tenant=real_hub.tenant,
            task_id="task-secrets",
            edit_format="udiff",
            routes=[{"provider": provider, "timeout_s": 5, **route(server.url)}],
            variables={
                "command": "fix",
                "instruction": f"rotate the leaked key {SECRETS[0].value}",
                "title": "Leaked credentials",
                "body": "see files",
                "discussion": "",
                "files": files,
                "feedback": "",
                "attempt": 1,
            },
        )

    chat = server.requests_to(path)
    assert len(chat) == 1
    sent = chat[0].body.decode() + "\n".join(strings(chat[0].json()))
    assert leaked(SECRETS, sent) == []
    assert "billing/settings.py" in sent and "<REDACTED:github-token:" in sent
    tenant_key = real_hub.keys.derive_key(real_hub.tenant, REDACTION_KEY_PURPOSE)
    assert placeholder("github-token", SECRETS[0].value, key=tenant_key) in sent
    assert out["llm"]["redactions"] == len(SECRETS) + 1  # the instruction repeats one

    (call,) = real_hub.calls.for_task(real_hub.tenant, "task-secrets")
    assert call.redactions == len(SECRETS) + 1
    transcript = real_hub.hub.transcript(real_hub.tenant, call.id)
    assert leaked(SECRETS, "\n".join(m.content for m in transcript.messages)) == []

    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert logged and leaked(SECRETS, logged) == []
    location = tenant_directory.locate(real_hub.tenant)
    with db.tenant_transaction(location) as tx:
        stored = tx.conn.execute(
            "SELECT (SELECT string_agg(t::text, '') FROM llm_call_events t)"
            " || (SELECT string_agg(a::text, '') FROM audit_events a) AS everything"
        ).fetchone()["everything"]
    with db.connection() as conn:
        stored += conn.execute(
            "SELECT string_agg(u::text, '') AS usage FROM platform.llm_usage u"
        ).fetchone()["usage"]
    assert leaked(SECRETS, stored) == []
