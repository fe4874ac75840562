"""Transcripts of LLM calls, sealed with the tenant's key (envelope encryption, ``KeyProvider``).

What is sealed is what was sent (the prompt after redaction) and the completion, redacted too
(with the same tenant redaction key), so that no secret is stored even if a model invents one.
The envelope is bound to its call id (associated data), so a transcript cannot be passed off as
another call's. Tool calls (those in the prompt's turns and those the model answered with) are
sealed beside the text, their arguments redacted as JSON text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from shared.domain.llm import Message, Role
from shared.domain.llm_tools import ToolCall
from shared.policies.secrets import redact
from shared.ports.keys import KeyProvider


@dataclass(frozen=True)
class Transcript:
    messages: tuple[Message, ...]
    completion: str | None
    tool_calls: tuple[ToolCall, ...] = ()


def _associated_data(call_id: str) -> bytes:
    return f"llm-transcript:{call_id}".encode()


def redact_call(call: ToolCall, key: bytes) -> ToolCall:
    """``call`` with secrets in its arguments replaced by placeholders (arguments are model
    output, which may echo or invent one); ``{"redacted": text}`` when the redacted JSON no
    longer parses."""
    text = redact(json.dumps(call.arguments, ensure_ascii=False), key=key).text
    try:
        arguments = json.loads(text)
    except ValueError:
        arguments = None
    return ToolCall(
        call.id, call.name, arguments if isinstance(arguments, dict) else {"redacted": text}
    )


def _calls(calls: tuple[ToolCall, ...], key: bytes) -> list[dict[str, Any]]:
    return [redact_call(c, key).to_dict() for c in calls]


def _message(m: Message, key: bytes) -> dict[str, Any]:
    sealed: dict[str, Any] = {"role": str(m.role), "content": m.content}
    if m.tool_calls:
        sealed["tool_calls"] = _calls(m.tool_calls, key)
    if m.tool_call_id is not None:
        sealed["tool_call_id"] = m.tool_call_id
    return sealed


def seal(
    keys: KeyProvider,
    tenant: str,
    call_id: str,
    messages: tuple[Message, ...],
    completion: str | None,
    *,
    redaction_key: bytes,
    tool_calls: tuple[ToolCall, ...] = (),
) -> bytes:
    document = {
        "messages": [_message(m, redaction_key) for m in messages],
        "completion": None if completion is None else redact(completion, key=redaction_key).text,
        "tool_calls": _calls(tool_calls, redaction_key),
    }
    plaintext = json.dumps(document, ensure_ascii=False).encode("utf-8")
    return keys.encrypt(tenant, plaintext, _associated_data(call_id))


def unseal(keys: KeyProvider, tenant: str, call_id: str, envelope: bytes) -> Transcript:
    document = json.loads(keys.decrypt(tenant, envelope, _associated_data(call_id)))
    return Transcript(
        tuple(
            Message(
                Role(m["role"]),
                m["content"],
                tool_calls=tuple(ToolCall.from_dict(c) for c in m.get("tool_calls", ())),
                tool_call_id=m.get("tool_call_id"),
            )
            for m in document["messages"]
        ),
        document["completion"],
        tuple(ToolCall.from_dict(c) for c in document.get("tool_calls", ())),
    )
