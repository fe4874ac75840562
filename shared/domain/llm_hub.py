"""How a tenant routes its LLM calls (``LlmRoute``) and the records the hub keeps about them:
circuit state, daily usage, the lineage of each call and the hub's answer. No I/O here.

Apart from ``shared.domain.llm`` (the request and answer every provider speaks) because only
the hub, the model registry and their stores deal in these.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from shared.domain.errors import InvalidInput
from shared.domain.llm import Completion, ProviderKind

#: The edit formats a route may ask its model for; the same values as the patch parser's
#: ``shared.patching.formats.EditFormat`` (less ``auto``, which is for reading, not asking).
EDIT_FORMATS = ("udiff", "search-replace", "whole")


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
