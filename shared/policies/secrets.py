"""Secret detection and redaction, shared by the patch policy (added lines) and the LLM hub.

Both use these same detectors, so that what is redacted from a prompt is exactly what a patch may
not add. Detectors run from specific to generic: vendor shapes and credentials in URLs,
authorization values and connection strings (``secret_shapes``), then values assigned to
secret-looking names in configuration files and code (``secret_names``), then long
random-looking strings. Overlapping findings keep the earlier (more specific) detector's.
Placeholders, environment references and digests are not findings; see those modules.

Redaction replaces each finding with ``<REDACTED:kind:xxxxxxxx>``: the 8 hex digits are an
HMAC-SHA256 of the secret under a key that the caller must give. The LLM hub gives a per-tenant
key derived from the tenant's key (``KeyProvider.derive_key``), so that nobody who sees a prompt
or transcript can test a guess of a short secret against its placeholder, and two tenants'
placeholders of one secret differ. The same secret always gets the same placeholder under one
key (the model can tell two secrets apart), and the secret cannot be recovered from it.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field

from shared.policies.secret_names import NAMED
from shared.policies.secret_shapes import HIGH_ENTROPY, SHAPES, Detector

DETECTORS: tuple[Detector, ...] = (*SHAPES, *NAMED, HIGH_ENTROPY)
#: Purpose name of the per-tenant key placeholders are made with (``KeyProvider.derive_key``).
REDACTION_KEY_PURPOSE = "redaction-placeholders"


@dataclass(frozen=True)
class SecretFinding:
    kind: str
    start: int
    end: int


@dataclass(frozen=True)
class RedactionResult:
    """The redacted text, how many secrets were replaced, and placeholder → kind."""

    text: str
    count: int
    placeholders: Mapping[str, str] = field(default_factory=dict)


def find_secrets(text: str) -> list[SecretFinding]:
    """Every secret in ``text``, sorted by position, without overlaps."""
    taken: list[SecretFinding] = []
    lowered = text.lower()
    for detector in DETECTORS:
        if detector.hints and not any(hint in lowered for hint in detector.hints):
            continue
        for match in detector.pattern.finditer(text):
            start, end = match.span(detector.group)
            if start == end or (detector.accept and not detector.accept(match)):
                continue
            if any(start < other.end and other.start < end for other in taken):
                continue
            taken.append(SecretFinding(detector.kind, start, end))
    return sorted(taken, key=lambda finding: finding.start)


def placeholder(kind: str, secret: str, *, key: bytes) -> str:
    """The placeholder of ``secret`` under ``key`` (at least 16 bytes: a guessable key would let
    anyone test guesses of the secret)."""
    if len(key) < 16:
        raise ValueError("a redaction key has at least 16 bytes")
    digest = hmac.new(key, secret.encode(), hashlib.sha256)
    return f"<REDACTED:{kind}:{digest.hexdigest()[:8]}>"


def redact(text: str, *, key: bytes) -> RedactionResult:
    """``text`` with every secret replaced by its stable placeholder under ``key``."""
    findings = find_secrets(text)
    pieces: list[str] = []
    placeholders: dict[str, str] = {}
    position = 0
    for finding in findings:
        token = placeholder(finding.kind, text[finding.start : finding.end], key=key)
        placeholders[token] = finding.kind
        pieces.extend((text[position : finding.start], token))
        position = finding.end
    pieces.append(text[position:])
    return RedactionResult("".join(pieces), len(findings), placeholders)
