"""Ollama's ``/api/chat``, on the official ``ollama`` SDK, with the model's digest for lineage.

Before its first chat with a model, the adapter reads ``/api/show`` and takes the weights blob's
digest from the Modelfile's ``FROM .../blobs/sha256-<hex>`` line (a hash of the whole ``show``
answer when there is no such line); it is cached per model for the adapter's life.

The SDK raises its own ``ResponseError`` without the response headers, so an httpx response hook
keeps the ``Retry-After`` of a 429/503 answer (per thread) for the rate-limit error.

Tools go as ``tools`` (function schemas) and come back as ``message.tool_calls``; Ollama gives
calls no ids, so the adapter names them ``call_<index>``, and tool results go back as ``tool``
turns with the ``tool_name`` they answer.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections.abc import Callable
from functools import cached_property
from typing import Any, TypeVar

from shared.adapters.llm.errors import error_for_status, retry_after_seconds
from shared.adapters.llm.openai import function_tools
from shared.domain.errors import LlmBadResponse, LlmError, LlmTimeout, LlmUnavailable
from shared.domain.llm import (
    Completion,
    CompletionRequest,
    FinishReason,
    Message,
    ProviderKind,
    ResponseFormat,
    Role,
    estimate_tokens,
)
from shared.domain.llm_tools import ToolCall
from shared.ports.llm import LlmProvider

_BLOB = re.compile(r"^FROM\s+\S*sha256[-:]([0-9a-f]{64})\s*$", re.MULTILINE)
_FINISH = {"stop": FinishReason.STOP, "length": FinishReason.LENGTH}


def _message(message: Message) -> dict[str, Any]:
    wire: dict[str, Any] = {"role": str(message.role), "content": message.content}
    if message.role is Role.TOOL and message.tool_name:
        wire["tool_name"] = message.tool_name
    if message.tool_calls:
        wire["tool_calls"] = [
            {"function": {"name": c.name, "arguments": c.arguments}} for c in message.tool_calls
        ]
    return wire


def _tool_calls(message: Any) -> tuple[ToolCall, ...]:
    calls = []
    for index, call in enumerate(getattr(message, "tool_calls", None) or ()):
        function = getattr(call, "function", None)
        name, arguments = getattr(function, "name", None), getattr(function, "arguments", None)
        if not isinstance(name, str) or not isinstance(arguments, dict):
            raise LlmBadResponse("ollama sent a tool call without a name or object arguments")
        calls.append(ToolCall(f"call_{index}", name, dict(arguments)))
    return tuple(calls)


T = TypeVar("T")


def model_digest(show: dict[str, Any]) -> str:
    """``sha256:<hex>`` of the weights named by the Modelfile, else a hash of the show answer."""
    match = _BLOB.search(str(show.get("modelfile") or ""))
    if match:
        return f"sha256:{match.group(1)}"
    canonical = json.dumps(show, sort_keys=True, default=str).encode()
    return f"show-sha256:{hashlib.sha256(canonical).hexdigest()}"


class OllamaLlm(LlmProvider):
    """An Ollama server at ``host``; ``api_key`` is sent as a bearer token when the server sits
    behind an authenticating gateway."""

    kind = ProviderKind.OLLAMA

    def __init__(self, *, host: str, api_key: str | None = None, timeout_s: float = 120.0):
        self._host = host.rstrip("/")
        self._api_key = api_key
        self._timeout_s = timeout_s
        self.endpoint = f"{self.kind} {self._host}"
        self._digests: dict[str, str] = {}
        self._lock = threading.Lock()
        self._last = threading.local()

    def _remember_retry_after(self, response: Any) -> None:
        if response.status_code in (429, 503):
            self._last.retry_after = retry_after_seconds(response.headers)

    @cached_property
    def _client(self) -> Any:
        import ollama

        headers = {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}
        return ollama.Client(
            host=self._host,
            timeout=self._timeout_s,
            headers=headers,
            event_hooks={"response": [self._remember_retry_after]},
        )

    def sent_parameters(self, request: CompletionRequest) -> dict[str, Any]:
        options: dict[str, Any] = {
            "temperature": request.temperature,
            "num_predict": request.max_tokens,
        }
        if request.stop:
            options["stop"] = list(request.stop)
        parameters: dict[str, Any] = {"options": options}
        if request.response_format is ResponseFormat.JSON:
            parameters["format"] = "json"
        return parameters

    def complete(self, request: CompletionRequest) -> Completion:
        digest = self._call(lambda: self._digest(request.model))
        parameters = self.sent_parameters(request)
        started = time.monotonic()
        response = self._call(
            lambda: self._client.chat(
                model=request.model,
                messages=[_message(m) for m in request.messages],
                tools=function_tools(request.tools) or None,
                options=parameters["options"],
                format=parameters.get("format"),
                stream=False,
            )
        )
        return self._completion(request, response, digest, started)

    def _digest(self, model: str) -> str:
        with self._lock:
            known = self._digests.get(model)
        if known is not None:
            return known
        show = self._client.show(model)
        digest = model_digest(show.model_dump(mode="json"))
        with self._lock:
            self._digests[model] = digest
        return digest

    def _completion(
        self, request: CompletionRequest, response: Any, digest: str, started: float
    ) -> Completion:
        message = getattr(response, "message", None)
        tool_calls = _tool_calls(message)
        text = getattr(message, "content", None)
        if text is None and tool_calls:
            text = ""
        model = getattr(response, "model", None)
        if not isinstance(text, str) or not isinstance(model, str) or not model:
            raise LlmBadResponse("ollama answered without a message or model")
        finish = _FINISH.get(str(getattr(response, "done_reason", "")), FinishReason.OTHER)
        # Ollama leaves the counts out when it served the prompt from its cache: estimate then.
        input_tokens = getattr(response, "prompt_eval_count", None)
        output_tokens = getattr(response, "eval_count", None)
        return Completion(
            text=text,
            model=model,
            input_tokens=input_tokens
            if isinstance(input_tokens, int)
            else estimate_tokens(request.prompt_chars),
            output_tokens=output_tokens
            if isinstance(output_tokens, int)
            else estimate_tokens(len(text)),
            latency_ms=round((time.monotonic() - started) * 1000),
            finish_reason=FinishReason.TOOL_CALLS if tool_calls else finish,
            model_version=digest,
            tool_calls=tool_calls,
        )

    def _call(self, send: Callable[[], T]) -> T:
        import httpx
        import ollama
        import pydantic

        self._last.retry_after = None
        try:
            return send()
        except ollama.ResponseError as exc:
            raise self._status_error(exc) from exc
        except httpx.TimeoutException as exc:
            raise LlmTimeout(f"ollama did not answer within {self._timeout_s:g} s") from exc
        except (ConnectionError, httpx.TransportError) as exc:
            raise LlmUnavailable(f"ollama at {self._host} is unreachable: {exc}") from exc
        except (json.JSONDecodeError, UnicodeDecodeError, pydantic.ValidationError) as exc:
            raise LlmBadResponse(f"ollama sent a malformed answer: {exc}") from exc
        except TypeError as exc:  # the SDK does ``Response(**body)``: a body that is no object
            raise LlmBadResponse(f"ollama sent an answer that is not an object: {exc}") from exc

    def _status_error(self, exc: Any) -> LlmError:
        status = int(exc.status_code)
        if status < 0:
            return LlmUnavailable(f"ollama failed: {exc.error}")
        retry_after = getattr(self._last, "retry_after", None)
        headers = {"retry-after": str(retry_after)} if retry_after is not None else None
        return error_for_status("ollama", status, str(exc.error), headers=headers)
