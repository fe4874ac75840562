"""LLM calls as values: what a provider is asked and what it answers. No I/O here.

How a tenant routes its calls and the records the hub keeps are in ``shared.domain.llm_hub``.
"""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass
from enum import StrEnum

from shared.domain.errors import InvalidInput
from shared.domain.llm_tools import ToolCall, ToolSpec


class Role(StrEnum):
    SYSTEM = "system"
    USER = "user"
    ASSISTANT = "assistant"
    TOOL = "tool"


class ResponseFormat(StrEnum):
    """A hint: ``json`` asks the provider for one JSON object (where it supports a JSON mode)."""

    TEXT = "text"
    JSON = "json"


#: The outcome of a call whose answer was cut short by its output limit.
OUTPUT_TRUNCATED = "output-truncated"


class FinishReason(StrEnum):
    STOP = "stop"
    LENGTH = "length"
    CONTENT_FILTER = "content_filter"
    TOOL_CALLS = "tool_calls"
    OTHER = "other"


class ProviderKind(StrEnum):
    OLLAMA = "ollama"
    OPENAI = "openai"
    AZURE_OPENAI = "azure-openai"
    ANTHROPIC = "anthropic"
    SCRIPTED = "scripted"


@dataclass(frozen=True)
class Message:
    """One turn. An assistant turn may carry the ``tool_calls`` it asked for; a ``tool`` turn
    is the result of the call named by ``tool_call_id`` (``tool_name`` for providers that
    pair results by name)."""

    role: Role
    content: str
    _: KW_ONLY
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None
    tool_name: str | None = None


@dataclass(frozen=True)
class CompletionRequest:
    """One chat completion. ``template`` names the prompt template that produced the messages
    (informational for live providers; the scripted provider matches recordings on it)."""

    messages: tuple[Message, ...]
    model: str
    temperature: float = 0.0
    max_tokens: int = 4096
    stop: tuple[str, ...] = ()
    response_format: ResponseFormat = ResponseFormat.TEXT
    template: str = ""
    tools: tuple[ToolSpec, ...] = ()

    def __post_init__(self) -> None:
        if not self.messages:
            raise InvalidInput("a completion request needs at least one message")
        if not self.model:
            raise InvalidInput("a completion request needs a model")
        if self.max_tokens < 1:
            raise InvalidInput(f"max_tokens must be positive, got {self.max_tokens}")
        if not 0.0 <= self.temperature <= 2.0:
            raise InvalidInput(f"temperature must be within [0, 2], got {self.temperature}")

    @property
    def prompt_chars(self) -> int:
        return sum(len(m.content) for m in self.messages)


@dataclass(frozen=True)
class Completion:
    """A provider's answer. ``model`` is the model that answered (as the provider names it);
    ``model_version`` is what pins it further: the weights digest (Ollama), the system
    fingerprint (OpenAI), or None where the model name is already versioned (Anthropic)."""

    text: str
    model: str
    input_tokens: int
    output_tokens: int
    latency_ms: int
    finish_reason: FinishReason
    model_version: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()

    @property
    def outcome(self) -> str:
        """The lineage outcome of a call that answered: ``output-truncated`` when the answer
        stopped at the output limit (each provider's ``length``/``max_tokens``), which makes
        it unusable as an edit, else ``ok``."""
        return OUTPUT_TRUNCATED if self.finish_reason is FinishReason.LENGTH else "ok"


def estimate_tokens(chars: int) -> int:
    """A provider-independent token estimate (about four characters per token), rounded up."""
    return (chars + 3) // 4
