"""Anthropic's Messages API (``/v1/messages``), on the official ``anthropic`` SDK.

The SDK is imported on first use and its own retries are off (``max_retries=0``). System
messages go to the ``system`` parameter. The JSON hint becomes an instruction appended to the
system prompt (structured outputs want a schema, which a hint does not have). The temperature is
not sent: the Messages API of this SDK generation no longer takes one.

Tool calls are ``tool_use`` content blocks of the assistant turn; their results go back as
``tool_result`` blocks of one user turn (consecutive tool turns are merged into it, as the API
requires every result of a turn in the next user message).
"""

from __future__ import annotations

import json
import time
from functools import cached_property
from typing import Any

from shared.adapters.llm.errors import map_stainless_error
from shared.domain.errors import LlmBadResponse
from shared.domain.llm import (
    Completion,
    CompletionRequest,
    FinishReason,
    Message,
    ProviderKind,
    ResponseFormat,
    Role,
)
from shared.domain.llm_tools import ToolCall
from shared.ports.llm import LlmProvider

ANTHROPIC_BASE_URL = "https://api.anthropic.com"
JSON_INSTRUCTION = "Answer with a single JSON object and nothing else."
_FINISH = {
    "end_turn": FinishReason.STOP,
    "stop_sequence": FinishReason.STOP,
    "max_tokens": FinishReason.LENGTH,
    "refusal": FinishReason.CONTENT_FILTER,
    "tool_use": FinishReason.TOOL_CALLS,
}


def _messages(messages: tuple[Message, ...]) -> list[dict[str, Any]]:
    wire: list[dict[str, Any]] = []
    for m in messages:
        if m.role is Role.SYSTEM:
            continue
        if m.role is Role.TOOL:
            block = {"type": "tool_result", "tool_use_id": m.tool_call_id, "content": m.content}
            if wire and wire[-1]["role"] == "user" and isinstance(wire[-1]["content"], list):
                wire[-1]["content"].append(block)
            else:
                wire.append({"role": "user", "content": [block]})
        elif m.tool_calls:
            text = [{"type": "text", "text": m.content}] if m.content else []
            uses = [
                {"type": "tool_use", "id": c.id, "name": c.name, "input": c.arguments}
                for c in m.tool_calls
            ]
            wire.append({"role": "assistant", "content": text + uses})
        else:
            wire.append({"role": str(m.role), "content": m.content})
    return wire


def _tool_calls(blocks: list[Any]) -> tuple[ToolCall, ...]:
    calls = []
    for block in blocks:
        if getattr(block, "type", None) != "tool_use":
            continue
        name, arguments = getattr(block, "name", None), getattr(block, "input", None)
        if not isinstance(name, str) or not isinstance(arguments, dict):
            raise LlmBadResponse("anthropic sent a tool_use block without a name or object input")
        calls.append(ToolCall(str(getattr(block, "id", "") or ""), name, arguments))
    return tuple(calls)


def _arguments(request: CompletionRequest) -> dict[str, Any]:
    system = [m.content for m in request.messages if m.role is Role.SYSTEM]
    if request.response_format is ResponseFormat.JSON:
        system.append(JSON_INSTRUCTION)
    arguments: dict[str, Any] = {
        "model": request.model,
        "max_tokens": request.max_tokens,
        "messages": _messages(request.messages),
    }
    if system:
        arguments["system"] = "\n\n".join(system)
    if request.stop:
        arguments["stop_sequences"] = list(request.stop)
    if request.tools:
        arguments["tools"] = [
            {"name": t.name, "description": t.description, "input_schema": t.parameters}
            for t in request.tools
        ]
    return arguments


def _completion(response: Any, latency_ms: int) -> Completion:
    blocks = getattr(response, "content", None)
    usage = getattr(response, "usage", None)
    model = getattr(response, "model", None)
    if not isinstance(blocks, list) or usage is None or not isinstance(model, str):
        raise LlmBadResponse("anthropic answered without content, usage or model")
    input_tokens = getattr(usage, "input_tokens", None)
    output_tokens = getattr(usage, "output_tokens", None)
    if not isinstance(input_tokens, int) or not isinstance(output_tokens, int):
        raise LlmBadResponse("anthropic answered without token counts")
    text = "".join(
        b.text for b in blocks if getattr(b, "type", None) == "text" and isinstance(b.text, str)
    )
    return Completion(
        text=text,
        model=model,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        latency_ms=latency_ms,
        finish_reason=_FINISH.get(str(getattr(response, "stop_reason", "")), FinishReason.OTHER),
        tool_calls=_tool_calls(blocks),
    )


class AnthropicLlm(LlmProvider):
    kind = ProviderKind.ANTHROPIC

    def __init__(self, *, api_key: str, base_url: str | None = None, timeout_s: float = 120.0):
        self._api_key = api_key
        self._base_url = (base_url or ANTHROPIC_BASE_URL).rstrip("/")
        self._timeout_s = timeout_s
        self.endpoint = f"{self.kind} {self._base_url}"

    @cached_property
    def _client(self) -> Any:
        import anthropic

        return anthropic.Anthropic(
            api_key=self._api_key,
            base_url=self._base_url,
            max_retries=0,
            timeout=self._timeout_s,
        )

    def sent_parameters(self, request: CompletionRequest) -> dict[str, Any]:
        arguments = _arguments(request)
        return {
            k: v for k, v in arguments.items() if k not in ("model", "messages", "system", "tools")
        }

    def complete(self, request: CompletionRequest) -> Completion:
        import anthropic

        started = time.monotonic()
        try:
            response = self._client.messages.create(**_arguments(request))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise LlmBadResponse(f"anthropic sent malformed JSON: {exc}") from exc
        except anthropic.AnthropicError as exc:
            raise map_stainless_error(anthropic, "anthropic", exc) from exc
        return _completion(response, round((time.monotonic() - started) * 1000))
