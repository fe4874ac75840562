"""Tool calling as values: the tools a request offers the model and the calls it answers with.

Providers name these differently (OpenAI ``tools``/``tool_calls``, Anthropic ``tool_use`` and
``tool_result`` blocks, Ollama ``tools``/``message.tool_calls``); the adapters translate, so
that the flow sees one shape. No I/O here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from shared.domain.errors import InvalidInput

#: What every provider accepts as a function name (OpenAI's rule is the strictest).
_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


@dataclass(frozen=True)
class ToolSpec:
    """A tool the model may call: its name, what it does, and a JSON Schema object for its
    arguments (``{"type": "object", "properties": ...}``)."""

    name: str
    description: str
    parameters: dict[str, Any] = field(default_factory=lambda: {"type": "object"})

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise InvalidInput(f"invalid tool name {self.name!r}", code="invalid-tool")
        if self.parameters.get("type") != "object":
            raise InvalidInput(
                f"tool {self.name}: parameters must be a JSON Schema object", code="invalid-tool"
            )


@dataclass(frozen=True)
class ToolCall:
    """One call the model asked for. ``id`` pairs it with its result in the next request
    (providers without ids, such as Ollama, get ``call_<index>`` from the adapter)."""

    id: str
    name: str
    arguments: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "arguments": dict(self.arguments)}

    @classmethod
    def from_dict(cls, data: Any) -> ToolCall:
        """A call from an activity result or a recording; ``InvalidInput`` if malformed."""
        if not isinstance(data, dict) or not isinstance(data.get("name"), str):
            raise InvalidInput(f"a tool call needs a name, got {data!r}", code="invalid-tool")
        arguments = data.get("arguments", {})
        if not isinstance(arguments, dict):
            raise InvalidInput(
                f"tool call {data['name']}: arguments must be an object", code="invalid-tool"
            )
        return cls(str(data.get("id") or ""), data["name"], arguments)
