"""OpenAI and Azure OpenAI chat completions, on the official ``openai`` SDK.

The SDK is imported on first use; its own retries are off (``max_retries=0``) so that every
attempt is the orchestrator's and visible. Azure OpenAI deployments are addressed as
``/openai/deployments/{deployment}/chat/completions?api-version=...``, with an API key or, without
one, an Entra ID token from ``azure-identity`` (managed identity in Azure).
"""

from __future__ import annotations

import json
import time
from abc import abstractmethod
from collections.abc import Callable, Sequence
from functools import cached_property
from typing import Any

from shared.adapters.llm.errors import map_stainless_error
from shared.domain.errors import LlmAuthError, LlmBadResponse
from shared.domain.llm import (
    Completion,
    CompletionRequest,
    FinishReason,
    Message,
    ProviderKind,
    ResponseFormat,
    Role,
)
from shared.domain.llm_tools import ToolCall, ToolSpec
from shared.ports.llm import LlmProvider

OPENAI_BASE_URL = "https://api.openai.com/v1"
AZURE_SCOPE = "https://cognitiveservices.azure.com/.default"
_FINISH = {
    "stop": FinishReason.STOP,
    "length": FinishReason.LENGTH,
    "content_filter": FinishReason.CONTENT_FILTER,
    "tool_calls": FinishReason.TOOL_CALLS,
}


def _message(message: Message) -> dict[str, Any]:
    """A turn as Chat Completions takes it: tool calls as ``function`` calls with JSON-encoded
    arguments, tool results as ``tool`` turns paired by ``tool_call_id``."""
    if message.role is Role.TOOL:
        return {"role": "tool", "tool_call_id": message.tool_call_id, "content": message.content}
    wire: dict[str, Any] = {"role": str(message.role), "content": message.content}
    if message.tool_calls:
        wire["content"] = message.content or None
        wire["tool_calls"] = [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": json.dumps(call.arguments)},
            }
            for call in message.tool_calls
        ]
    return wire


def _tool_calls(provider: str, message: Any) -> tuple[ToolCall, ...]:
    calls = []
    for call in getattr(message, "tool_calls", None) or ():
        function = getattr(call, "function", None)
        name = getattr(function, "name", None)
        try:
            arguments = json.loads(getattr(function, "arguments", None) or "{}")
        except (TypeError, ValueError) as exc:
            raise LlmBadResponse(f"{provider} sent tool arguments that are not JSON") from exc
        if not isinstance(name, str) or not isinstance(arguments, dict):
            raise LlmBadResponse(f"{provider} sent a tool call without a name or object arguments")
        calls.append(ToolCall(str(getattr(call, "id", "") or ""), name, arguments))
    return tuple(calls)


def _arguments(request: CompletionRequest) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "model": request.model,
        "messages": [_message(m) for m in request.messages],
        "temperature": request.temperature,
        "max_completion_tokens": request.max_tokens,
    }
    if request.stop:
        arguments["stop"] = list(request.stop)
    if request.response_format is ResponseFormat.JSON:
        arguments["response_format"] = {"type": "json_object"}
    if request.tools:
        arguments["tools"] = function_tools(request.tools)
    return arguments


def function_tools(tools: Sequence[ToolSpec]) -> list[dict[str, Any]]:
    """Tools in Chat Completions' ``{"type": "function", ...}`` form, which Ollama's chat API
    takes as well."""
    return [
        {
            "type": "function",
            "function": {"name": t.name, "description": t.description, "parameters": t.parameters},
        }
        for t in tools
    ]


def _completion(provider: str, response: Any, latency_ms: int) -> Completion:
    choices = getattr(response, "choices", None)
    usage = getattr(response, "usage", None)
    if not choices or usage is None:
        raise LlmBadResponse(f"{provider} answered without choices or usage")
    message = getattr(choices[0], "message", None)
    text = getattr(message, "content", None)
    finish = _FINISH.get(str(getattr(choices[0], "finish_reason", "")), FinishReason.OTHER)
    tool_calls = _tool_calls(provider, message)
    if text is None and getattr(message, "refusal", None):
        text, finish = "", FinishReason.CONTENT_FILTER
    elif text is None and tool_calls:
        text = ""
    input_tokens = getattr(usage, "prompt_tokens", None)
    output_tokens = getattr(usage, "completion_tokens", None)
    model = getattr(response, "model", None)
    if not isinstance(text, str) or not isinstance(model, str):
        raise LlmBadResponse(f"{provider} answered without message content or model")
    if not isinstance(input_tokens, int) or not isinstance(output_tokens, int):
        raise LlmBadResponse(f"{provider} answered without token counts")
    fingerprint = getattr(response, "system_fingerprint", None)
    return Completion(
        text=text,
        model=model,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        latency_ms=latency_ms,
        finish_reason=finish,
        model_version=fingerprint if isinstance(fingerprint, str) else None,
        tool_calls=tool_calls,
    )


class _ChatCompletions(LlmProvider):
    """The request/response mapping shared by OpenAI and Azure OpenAI."""

    @abstractmethod
    def _make_client(self) -> Any:
        """The SDK client (built on first use, so that construction does no I/O or import)."""

    @cached_property
    def _client(self) -> Any:
        return self._make_client()

    def sent_parameters(self, request: CompletionRequest) -> dict[str, Any]:
        arguments = _arguments(request)
        return {k: v for k, v in arguments.items() if k not in ("model", "messages", "tools")}

    def complete(self, request: CompletionRequest) -> Completion:
        import openai

        provider = str(self.kind)
        started = time.monotonic()
        try:
            response = self._client.chat.completions.create(**_arguments(request))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise LlmBadResponse(f"{provider} sent malformed JSON: {exc}") from exc
        except openai.OpenAIError as exc:
            raise map_stainless_error(openai, provider, exc) from exc
        return _completion(provider, response, round((time.monotonic() - started) * 1000))


class OpenAiLlm(_ChatCompletions):
    """OpenAI's ``/v1/chat/completions`` (or any server speaking it at ``base_url``)."""

    kind = ProviderKind.OPENAI

    def __init__(self, *, api_key: str, base_url: str | None = None, timeout_s: float = 120.0):
        self._api_key = api_key
        self._base_url = (base_url or OPENAI_BASE_URL).rstrip("/")
        self._timeout_s = timeout_s
        self.endpoint = f"{self.kind} {self._base_url}"

    def _make_client(self) -> Any:
        import openai

        return openai.OpenAI(
            api_key=self._api_key,
            base_url=self._base_url,
            max_retries=0,
            timeout=self._timeout_s,
        )


class AzureOpenAiLlm(_ChatCompletions):
    """An Azure OpenAI resource; the route's model is the deployment name.

    ``token_provider`` returns Entra ID access tokens; without it and without ``api_key``, one is
    built from ``DefaultAzureCredential`` for the Cognitive Services scope on first use.
    """

    kind = ProviderKind.AZURE_OPENAI

    def __init__(
        self,
        *,
        endpoint: str,
        api_version: str,
        api_key: str | None = None,
        token_provider: Callable[[], str] | None = None,
        timeout_s: float = 120.0,
    ) -> None:
        self._azure_endpoint = endpoint.rstrip("/")
        self._api_version = api_version
        self._api_key = api_key
        self._token_provider = token_provider
        self._timeout_s = timeout_s
        self.endpoint = f"{self.kind} {self._azure_endpoint}"

    def _make_client(self) -> Any:
        import openai

        credentials: dict[str, Any]
        if self._api_key:
            credentials = {"api_key": self._api_key}
        else:
            credentials = {"azure_ad_token_provider": self._token_provider or _entra_tokens()}
        return openai.AzureOpenAI(
            azure_endpoint=self._azure_endpoint,
            api_version=self._api_version,
            max_retries=0,
            timeout=self._timeout_s,
            **credentials,
        )


def _entra_tokens() -> Callable[[], str]:
    """Entra ID tokens for Azure OpenAI; a credential failure becomes ``LlmAuthError``."""
    from azure.core.exceptions import ClientAuthenticationError
    from azure.identity import DefaultAzureCredential, get_bearer_token_provider

    provider = get_bearer_token_provider(DefaultAzureCredential(), AZURE_SCOPE)

    def token() -> str:
        try:
            return str(provider())
        except ClientAuthenticationError as exc:
            raise LlmAuthError(f"no Entra ID token for Azure OpenAI: {exc.message}") from exc

    return token
