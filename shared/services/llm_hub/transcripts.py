"""Transcripts of LLM calls, sealed with the tenant's key (envelope encryption, ``KeyProvider``).

What is sealed is what was sent (the prompt after redaction) and the completion, redacted too
(with the same tenant redaction key), so that no secret is stored even if a model invents one.
The envelope is bound to its call id (associated data), so a transcript cannot be passed off as
another call's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from shared.domain.llm import Message, Role
from shared.policies.secrets import redact
from shared.ports.keys import KeyProvider


@dataclass(frozen=True)
class Transcript:
    messages: tuple[Message, ...]
    completion: str | None


def _associated_data(call_id: str) -> bytes:
    return f"llm-transcript:{call_id}".encode()


def seal(
    keys: KeyProvider,
    tenant: str,
    call_id: str,
    messages: tuple[Message, ...],
    completion: str | None,
    *,
    redaction_key: bytes,
) -> bytes:
    document = {
        "messages": [{"role": str(m.role), "content": m.content} for m in messages],
        "completion": None if completion is None else redact(completion, key=redaction_key).text,
    }
    plaintext = json.dumps(document, ensure_ascii=False).encode("utf-8")
    return keys.encrypt(tenant, plaintext, _associated_data(call_id))


def unseal(keys: KeyProvider, tenant: str, call_id: str, envelope: bytes) -> Transcript:
    document = json.loads(keys.decrypt(tenant, envelope, _associated_data(call_id)))
    return Transcript(
        tuple(Message(Role(m["role"]), m["content"]) for m in document["messages"]),
        document["completion"],
    )
