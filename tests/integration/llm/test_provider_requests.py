"""What each adapter puts on the wire: paths, credentials, parameters, the JSON hint."""

from __future__ import annotations

from shared.adapters.llm.anthropic import JSON_INSTRUCTION, AnthropicLlm
from shared.adapters.llm.ollama import OllamaLlm
from shared.adapters.llm.openai import AzureOpenAiLlm, OpenAiLlm
from shared.domain.llm import CompletionRequest, Message, ResponseFormat, Role
from tests.integration.llm.test_provider_wire import (
    ANTHROPIC_OK,
    DIGEST,
    OLLAMA_OK,
    OLLAMA_SHOW,
    OPENAI_OK,
)
from tests.integration.llm.wire import Reply, wire_server

MESSAGES = (Message(Role.SYSTEM, "You fix bugs."), Message(Role.USER, "Fix app.py"))


def request(model: str, **kwargs) -> CompletionRequest:
    return CompletionRequest(
        MESSAGES, model, temperature=0.2, max_tokens=300, stop=("<END>",), **kwargs
    )


def test_openai_sends_a_chat_completion_with_a_bearer_key() -> None:
    with wire_server() as server:
        server.on("POST", "/v1/chat/completions", Reply(200, OPENAI_OK))
        llm = OpenAiLlm(api_key="sk-test-0001", base_url=f"{server.url}/v1", timeout_s=5)
        completion = llm.complete(request("gpt-4o", response_format=ResponseFormat.JSON))
    (sent,) = server.received
    assert sent.method == "POST" and sent.path == "/v1/chat/completions"
    assert sent.headers["authorization"] == "Bearer sk-test-0001"
    assert sent.headers["x-stainless-retry-count"] == "0"
    assert sent.json() == {
        "model": "gpt-4o",
        "messages": [
            {"role": "system", "content": "You fix bugs."},
            {"role": "user", "content": "Fix app.py"},
        ],
        "temperature": 0.2,
        "max_completion_tokens": 300,
        "stop": ["<END>"],
        "response_format": {"type": "json_object"},
    }
    assert completion.model == "gpt-4o-2024-08-06"
    assert completion.model_version == "fp_50cad350e4"
    assert llm.endpoint == f"openai {server.url}/v1"


def test_azure_openai_addresses_the_deployment_with_api_version_and_key() -> None:
    with wire_server() as server:
        path = "/openai/deployments/gpt4o-prod/chat/completions"
        server.on("POST", path, Reply(200, OPENAI_OK))
        llm = AzureOpenAiLlm(
            endpoint=server.url, api_version="2024-10-21", api_key="azure-key-0001", timeout_s=5
        )
        llm.complete(request("gpt4o-prod"))
    (sent,) = server.received
    assert sent.path == path and sent.query == {"api-version": ["2024-10-21"]}
    assert sent.headers["api-key"] == "azure-key-0001" and "authorization" not in sent.headers
    assert sent.json()["max_completion_tokens"] == 300
    assert "response_format" not in sent.json()


def test_azure_openai_without_a_key_sends_an_entra_id_token() -> None:
    tokens = iter(["entra-token-1", "entra-token-2"])
    with wire_server() as server:
        path = "/openai/deployments/gpt4o-prod/chat/completions"
        server.on("POST", path, Reply(200, OPENAI_OK))
        llm = AzureOpenAiLlm(
            endpoint=server.url,
            api_version="2025-01-01-preview",
            token_provider=lambda: next(tokens),
            timeout_s=5,
        )
        llm.complete(request("gpt4o-prod"))
        llm.complete(request("gpt4o-prod"))
    first, second = server.received
    assert (
        first.headers["authorization"] == "Bearer entra-token-1" and "api-key" not in first.headers
    )
    assert second.headers["authorization"] == "Bearer entra-token-2"
    assert first.query == {"api-version": ["2025-01-01-preview"]}


def test_anthropic_sends_system_apart_and_the_json_hint_as_an_instruction() -> None:
    with wire_server() as server:
        server.on("POST", "/v1/messages", Reply(200, ANTHROPIC_OK))
        llm = AnthropicLlm(api_key="sk-ant-test-0001", base_url=server.url, timeout_s=5)
        llm.complete(request("claude-sonnet-4-5", response_format=ResponseFormat.JSON))
    (sent,) = server.received
    assert sent.path == "/v1/messages" and sent.headers["anthropic-version"]
    credential = sent.headers.get("x-api-key") or sent.headers.get("authorization")
    assert credential in {"sk-ant-test-0001", "Bearer sk-ant-test-0001"}
    assert sent.headers["x-stainless-retry-count"] == "0"
    assert sent.json() == {
        "model": "claude-sonnet-4-5",
        "max_tokens": 300,
        "system": f"You fix bugs.\n\n{JSON_INSTRUCTION}",
        "messages": [{"role": "user", "content": "Fix app.py"}],
        "stop_sequences": ["<END>"],
    }


def test_ollama_reads_the_model_digest_once_then_chats() -> None:
    with wire_server() as server:
        server.on("POST", "/api/show", Reply(200, OLLAMA_SHOW))
        server.on("POST", "/api/chat", Reply(200, OLLAMA_OK))
        llm = OllamaLlm(host=server.url, api_key="gateway-key", timeout_s=5)
        first = llm.complete(request("qwen2.5-coder:7b", response_format=ResponseFormat.JSON))
        llm.complete(request("qwen2.5-coder:7b"))
    assert [r.path for r in server.received] == ["/api/show", "/api/chat", "/api/chat"]
    show, chat, plain = server.received
    assert show.json() == {"model": "qwen2.5-coder:7b"}
    assert chat.headers["authorization"] == "Bearer gateway-key"
    body = chat.json()
    assert body["model"] == "qwen2.5-coder:7b" and body["stream"] is False
    assert body["format"] == "json" and "format" not in plain.json()
    assert body["options"] == {"temperature": 0.2, "num_predict": 300, "stop": ["<END>"]}
    assert body["messages"] == [
        {"role": "system", "content": "You fix bugs."},
        {"role": "user", "content": "Fix app.py"},
    ]
    assert first.model_version == f"sha256:{DIGEST}"


def test_ollama_without_a_blob_line_pins_the_show_answer() -> None:
    with wire_server() as server:
        server.on("POST", "/api/show", Reply(200, {**OLLAMA_SHOW, "modelfile": "FROM scratch"}))
        server.on("POST", "/api/chat", Reply(200, {**OLLAMA_OK, "prompt_eval_count": None}))
        completion = OllamaLlm(host=server.url, timeout_s=5).complete(request("m"))
    assert completion.model_version is not None
    assert completion.model_version.startswith("show-sha256:")
    assert completion.input_tokens == 6  # estimated (23 characters): Ollama left the count out
