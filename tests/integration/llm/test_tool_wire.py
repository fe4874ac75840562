"""Tool calling on each adapter's real SDK against a local server speaking the provider's wire.

The replies follow each provider's documented tool-calling examples; the request side checks that
offered tools, the model's earlier calls and their results reach the wire in the provider's own
shape (OpenAI ``tools``/``tool_calls``/``tool`` turns, Anthropic ``tool_use``/``tool_result``
blocks, Ollama ``tools``/``tool_calls``/``tool_name``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from shared.adapters.llm.anthropic import AnthropicLlm
from shared.adapters.llm.ollama import OllamaLlm
from shared.adapters.llm.openai import AzureOpenAiLlm, OpenAiLlm
from shared.domain.errors import LlmBadResponse
from shared.domain.llm import CompletionRequest, FinishReason, Message, Role
from shared.domain.llm_tools import ToolCall, ToolSpec
from tests.integration.llm.test_provider_wire import OLLAMA_SHOW
from tests.integration.llm.wire import Reply, WireServer, wire_server

READ_FILE = ToolSpec(
    "read_file",
    "Read lines of a file of the checkout.",
    {
        "type": "object",
        "properties": {
            "path": {"type": "string"},
            "start": {"type": "integer"},
            "end": {"type": "integer"},
        },
        "required": ["path"],
    },
)
EARLIER = ToolCall("call_1", "search_code", {"query": "parse config"})
REQUEST = CompletionRequest(
    (
        Message(Role.SYSTEM, "You fix bugs."),
        Message(Role.USER, "Fix the typo in app.py"),
        Message(Role.ASSISTANT, "", tool_calls=(EARLIER,)),
        Message(
            Role.TOOL,
            "app/config.py:10 def parse_config",
            tool_call_id="call_1",
            tool_name="search_code",
        ),
    ),
    "model-x",
    max_tokens=256,
    tools=(READ_FILE,),
)
WANTED = {"path": "app/config.py", "start": 1, "end": 40}


def openai_reply(arguments: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-abc123",
        "object": "chat.completion",
        "created": 1699896916,
        "model": "gpt-4o-mini",
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "call_abc123",
                            "type": "function",
                            "function": {"name": "read_file", "arguments": arguments},
                        }
                    ],
                },
                "logprobs": None,
                "finish_reason": "tool_calls",
            }
        ],
        "usage": {"prompt_tokens": 82, "completion_tokens": 17, "total_tokens": 99},
    }


ANTHROPIC_REPLY = {
    "id": "msg_01Aq9w938a90dw8q",
    "type": "message",
    "role": "assistant",
    "model": "claude-sonnet-4-5-20250929",
    "content": [
        {"type": "text", "text": "I'll read the config module."},
        {
            "type": "tool_use",
            "id": "toolu_01A09q90qw90lq917835lq9",
            "name": "read_file",
            "input": WANTED,
        },
    ],
    "stop_reason": "tool_use",
    "stop_sequence": None,
    "usage": {"input_tokens": 82, "output_tokens": 17},
}
OLLAMA_REPLY = {
    "model": "llama3.2",
    "created_at": "2024-07-22T20:33:28.123648Z",
    "message": {
        "role": "assistant",
        "content": "",
        "tool_calls": [{"function": {"name": "read_file", "arguments": WANTED}}],
    },
    "done_reason": "stop",
    "done": True,
    "total_duration": 885095291,
    "prompt_eval_count": 82,
    "eval_count": 17,
}


@pytest.fixture
def server() -> Iterator[WireServer]:
    with wire_server() as running:
        yield running


@pytest.mark.parametrize("azure", [False, True], ids=["openai", "azure-openai"])
def test_openai_tools_and_tool_calls(server: WireServer, azure: bool) -> None:
    path = "/openai/deployments/model-x/chat/completions" if azure else "/v1/chat/completions"
    server.on(
        "POST", path, Reply(200, openai_reply('{"path": "app/config.py", "start": 1, "end": 40}'))
    )
    llm = (
        AzureOpenAiLlm(endpoint=server.url, api_version="2024-10-21", api_key="azure-key-0001")
        if azure
        else OpenAiLlm(api_key="sk-test-0001", base_url=f"{server.url}/v1")
    )
    completion = llm.complete(REQUEST)

    assert completion.tool_calls == (ToolCall("call_abc123", "read_file", WANTED),)
    assert completion.finish_reason is FinishReason.TOOL_CALLS and completion.text == ""
    body = server.requests_to(path)[0].json()
    assert body["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "read_file",
                "description": READ_FILE.description,
                "parameters": READ_FILE.parameters,
            },
        }
    ]
    assert body["messages"][2] == {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "search_code", "arguments": '{"query": "parse config"}'},
            }
        ],
    }
    assert body["messages"][3] == {
        "role": "tool",
        "tool_call_id": "call_1",
        "content": "app/config.py:10 def parse_config",
    }
    assert "tools" not in llm.sent_parameters(REQUEST)


def test_openai_tool_arguments_that_are_not_json_are_a_bad_response(server: WireServer) -> None:
    server.on("POST", "/v1/chat/completions", Reply(200, openai_reply('{"path": ')))
    with pytest.raises(LlmBadResponse):
        OpenAiLlm(api_key="sk-test-0001", base_url=f"{server.url}/v1").complete(REQUEST)


def test_anthropic_tool_use_and_tool_result_blocks(server: WireServer) -> None:
    server.on("POST", "/v1/messages", Reply(200, ANTHROPIC_REPLY))
    llm = AnthropicLlm(api_key="sk-ant-test-0001", base_url=server.url)
    completion = llm.complete(REQUEST)

    assert completion.tool_calls == (
        ToolCall("toolu_01A09q90qw90lq917835lq9", "read_file", WANTED),
    )
    assert completion.finish_reason is FinishReason.TOOL_CALLS
    assert completion.text == "I'll read the config module."
    body = server.requests_to("/v1/messages")[0].json()
    assert body["tools"] == [
        {
            "name": "read_file",
            "description": READ_FILE.description,
            "input_schema": READ_FILE.parameters,
        }
    ]
    assert body["messages"][1:] == [
        {
            "role": "assistant",
            "content": [
                {
                    "type": "tool_use",
                    "id": "call_1",
                    "name": "search_code",
                    "input": {"query": "parse config"},
                }
            ],
        },
        {
            "role": "user",
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": "call_1",
                    "content": "app/config.py:10 def parse_config",
                }
            ],
        },
    ]


def test_anthropic_merges_consecutive_tool_results_into_one_user_turn(server: WireServer) -> None:
    server.on("POST", "/v1/messages", Reply(200, ANTHROPIC_REPLY))
    second = ToolCall("call_2", "list_dir", {"path": "app"})
    request = CompletionRequest(
        (
            Message(Role.USER, "Fix it"),
            Message(Role.ASSISTANT, "Looking.", tool_calls=(EARLIER, second)),
            Message(Role.TOOL, "hit", tool_call_id="call_1"),
            Message(Role.TOOL, "config.py", tool_call_id="call_2"),
        ),
        "model-x",
        tools=(READ_FILE,),
    )
    AnthropicLlm(api_key="sk-ant-test-0001", base_url=server.url).complete(request)

    messages = server.requests_to("/v1/messages")[0].json()["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "user"]
    assert messages[1]["content"][0] == {"type": "text", "text": "Looking."}
    assert [b["tool_use_id"] for b in messages[2]["content"]] == ["call_1", "call_2"]


def test_ollama_tools_and_tool_calls(server: WireServer) -> None:
    server.on("POST", "/api/show", Reply(200, OLLAMA_SHOW))
    server.on("POST", "/api/chat", Reply(200, OLLAMA_REPLY))
    completion = OllamaLlm(host=server.url).complete(REQUEST)

    assert completion.tool_calls == (ToolCall("call_0", "read_file", WANTED),)
    assert completion.finish_reason is FinishReason.TOOL_CALLS
    body = server.requests_to("/api/chat")[0].json()
    assert body["tools"][0]["function"]["name"] == "read_file"
    assert body["tools"][0]["function"]["parameters"]["required"] == ["path"]
    assert body["messages"][2]["tool_calls"] == [
        {"function": {"name": "search_code", "arguments": {"query": "parse config"}}}
    ]
    assert body["messages"][3] == {
        "role": "tool",
        "content": "app/config.py:10 def parse_config",
        "tool_name": "search_code",
    }


def test_a_request_without_tools_offers_none(server: WireServer) -> None:
    server.on("POST", "/v1/chat/completions", Reply(200, openai_reply("{}")))
    server.on("POST", "/v1/messages", Reply(200, ANTHROPIC_REPLY))
    server.on("POST", "/api/show", Reply(200, OLLAMA_SHOW))
    server.on("POST", "/api/chat", Reply(200, OLLAMA_REPLY))
    plain = CompletionRequest((Message(Role.USER, "hi"),), "model-x")
    OpenAiLlm(api_key="sk-test-0001", base_url=f"{server.url}/v1").complete(plain)
    AnthropicLlm(api_key="sk-ant-test-0001", base_url=server.url).complete(plain)
    OllamaLlm(host=server.url).complete(plain)

    assert "tools" not in server.requests_to("/v1/chat/completions")[0].json()
    assert "tools" not in server.requests_to("/v1/messages")[0].json()
    assert not server.requests_to("/api/chat")[0].json().get("tools")  # the SDK sends []
