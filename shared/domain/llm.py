"""LLM calls as values: what a provider is asked, what it answers, how a tenant routes its calls,
and the records the hub keeps (circuit state, lineage). No I/O here.
"""

from __future__ import annotations

import re
from dataclasses import KW_ONLY, dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from shared.domain.errors import InvalidInput
from shared.domain.llm_tools import ToolCall, ToolSpec

#: The edit formats a route may ask its model for; the same values as the patch parser's
#: ``shared.patching.formats.EditFormat`` (less ``auto``, which is for reading, not asking).
EDIT_FORMATS = ("udiff", "search-replace", "whole")


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


_MODEL = re.compile(r"^[\w.:/@+\-]{1,200}$")


@dataclass(frozen=True)
class LlmRoute:
    """One provider/model a tenant's calls may go to, in order of preference.

    ``model`` is the deployment name for Azure OpenAI and the recording name for the scripted
    provider; ``endpoint`` overrides the provider's base URL from settings; ``edit_format``, when
    set, is the form of edit the patch flow asks this model for (else the flow's own choice).
    ``registry_version`` (``models:/NAME/N``) and ``prompt`` (a pinned ``name.vN``) are set only
    on routes resolved from the model registry (``shared.domain.models``), never from settings.
    """

    provider: ProviderKind
    model: str
    endpoint: str | None = None
    timeout_s: float = 120.0
    edit_format: str | None = None
    api_version: str | None = None
    registry_version: str | None = None
    prompt: str | None = None

    def __post_init__(self) -> None:
        if not _MODEL.match(self.model):
            raise InvalidInput(f"invalid model name {self.model!r}", code="invalid-llm-route")
        if not 0 < self.timeout_s <= 3600:
            raise InvalidInput(
                f"timeout_s must be within (0, 3600], got {self.timeout_s}",
                code="invalid-llm-route",
            )
        if self.edit_format is not None and self.edit_format not in EDIT_FORMATS:
            raise InvalidInput(
                f"edit_format must be one of {', '.join(EDIT_FORMATS)}, got {self.edit_format!r}",
                code="invalid-llm-route",
            )

    @property
    def label(self) -> str:
        return f"{self.provider}/{self.model}"

    @classmethod
    def from_dict(cls, data: Any) -> LlmRoute:
        """A route from tenant settings; raises ``InvalidInput`` (``invalid-llm-route``)."""
        if not isinstance(data, dict):
            raise InvalidInput(
                f"an LLM route must be an object, got {data!r}", code="invalid-llm-route"
            )
        unknown = set(data) - {f for f in cls.__dataclass_fields__} | (
            set(data) & {"registry_version", "prompt"}
        )
        if unknown:
            raise InvalidInput(
                f"unknown LLM route field(s): {', '.join(sorted(unknown))}",
                code="invalid-llm-route",
            )
        try:
            provider = ProviderKind(str(data.get("provider")))
        except ValueError as exc:
            kinds = ", ".join(k.value for k in ProviderKind)
            raise InvalidInput(
                f"LLM route provider must be one of {kinds}, got {data.get('provider')!r}",
                code="invalid-llm-route",
            ) from exc
        try:
            return cls(
                **{**data, "provider": provider, "timeout_s": float(data.get("timeout_s", 120))}
            )
        except (TypeError, ValueError) as exc:
            raise InvalidInput(
                f"invalid LLM route {data!r}: {exc}", code="invalid-llm-route"
            ) from exc

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "provider": str(self.provider),
            "model": self.model,
            "timeout_s": self.timeout_s,
        }
        for name in ("endpoint", "edit_format", "api_version", "registry_version", "prompt"):
            if (value := getattr(self, name)) is not None:
                data[name] = value
        return data


@dataclass(frozen=True)
class TemplateRef:
    """Which prompt template a call used: name, version and the SHA-256 of the file."""

    name: str
    version: int
    content_hash: str


class CircuitStatus(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass(frozen=True)
class CircuitState:
    """A provider endpoint's circuit, shared by every instance of the platform.

    ``failures`` counts failures since ``window_started_at``; ``opened_at`` is when it last
    opened; ``probe_until`` is when the half-open probe now in flight stops holding its slot.
    """

    endpoint: str
    status: CircuitStatus = CircuitStatus.CLOSED
    failures: int = 0
    window_started_at: datetime | None = None
    opened_at: datetime | None = None
    probe_until: datetime | None = None


@dataclass(frozen=True)
class DailyUsage:
    """A tenant's LLM usage today (UTC), reservations of calls in flight included, and its
    budget."""

    tokens: int
    cost_usd: Decimal
    token_budget: int
    cost_budget_usd: Decimal


@dataclass(frozen=True)
class LlmCall:
    """The lineage of one attempt to call a model (one row per route tried).

    ``outcome`` is ``ok`` or the domain error code that ended the attempt; ``transcript`` is
    the sealed envelope of the redacted prompt and the completion (None when nothing was sent).
    """

    id: str
    tenant: str
    task_id: str | None
    attempt: int
    provider: str
    endpoint: str
    model: str
    template: TemplateRef
    parameters: dict[str, Any]
    outcome: str
    redactions: int
    scripted: bool
    model_used: str | None = None
    model_version: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: Decimal = Decimal(0)
    latency_ms: int = 0
    error: str | None = None
    transcript: bytes | None = None
    occurred_at: datetime | None = None


@dataclass(frozen=True)
class HubResult:
    """What the hub answers: the completion, the route that gave it, the edit format the
    prompt asked for (how to read the text), the lineage id, whether it came from the scripted
    provider, how many secrets were redacted from the prompt, and every route tried
    (``"provider/model: outcome"``)."""

    completion: Completion
    route: LlmRoute
    lineage_id: str
    scripted: bool
    redactions: int
    template: TemplateRef
    cost_usd: Decimal
    edit_format: str | None = None
    attempts: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able summary for activity results and task status."""
        c = self.completion
        return {
            "text": c.text,
            "provider": str(self.route.provider),
            "model": c.model,
            "model_version": c.model_version,
            "edit_format": self.edit_format,
            "registry_version": self.route.registry_version,
            "lineage_id": self.lineage_id,
            "scripted": self.scripted,
            "redactions": self.redactions,
            "template": {
                "name": self.template.name,
                "version": self.template.version,
                "hash": self.template.content_hash,
            },
            "input_tokens": c.input_tokens,
            "output_tokens": c.output_tokens,
            "cost_usd": str(self.cost_usd),
            "latency_ms": c.latency_ms,
            "finish_reason": str(c.finish_reason),
            "attempts": list(self.attempts),
            "tool_calls": [call.to_dict() for call in c.tool_calls],
        }
