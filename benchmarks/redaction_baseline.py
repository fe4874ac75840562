"""The redactor as it was before issue #12 (``shared/policies/secrets.py`` at d773bd9), frozen
here as the benchmark's baseline: ``find_secrets`` only, verbatim otherwise. Not used by the
platform; ``benchmarks.redaction`` measures the current detectors against it in the same run.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

_PLACEHOLDER_VALUE = re.compile(
    r"^(?:\$\{?[\w.]+\}?|\{\{.*\}\}|<[^>]*>|%\(?\w+\)?s?|\*+|x+|X+|\.+|"
    r"(?i:changeme|change_me|example|dummy|placeholder|redacted|secret|password|passwd|"
    r"your[_-]?\w*|test|testing|none|null|todo|xxx\w*))$"
)
_BASE64ISH = re.compile(r"(?<![A-Za-z0-9+/=_\-])[A-Za-z0-9+/_\-]{32,}={0,2}(?![A-Za-z0-9+/=_\-])")
_HEX = re.compile(r"^[0-9a-fA-F]+$")
ENTROPY_MIN_LENGTH = 32
ENTROPY_THRESHOLD = 4.2


@dataclass(frozen=True)
class SecretFinding:
    kind: str
    start: int
    end: int


@dataclass(frozen=True)
class Detector:
    """A kind of secret: the pattern, which group is the secret, and an optional extra test."""

    kind: str
    pattern: re.Pattern[str]
    group: int = 0
    accept: Callable[[str], bool] | None = None


def shannon_entropy(value: str) -> float:
    counts = Counter(value)
    total = len(value)
    return -sum(n / total * math.log2(n / total) for n in counts.values()) if total else 0.0


def _not_placeholder(value: str) -> bool:
    return _PLACEHOLDER_VALUE.match(value.strip("'\"")) is None


def _random_looking(value: str) -> bool:
    core = value.rstrip("=")
    return (
        len(core) >= ENTROPY_MIN_LENGTH
        and not _HEX.match(core)
        and any(c.isupper() for c in core)
        and any(c.islower() for c in core)
        and any(c.isdigit() for c in core)
        and shannon_entropy(core) >= ENTROPY_THRESHOLD
    )


_SENSITIVE_NAMES = (
    r"(?:password|passwd|pwd|pass|secret|client[_-]?secret|api[_-]?key|apikey|access[_-]?key|"
    r"secret[_-]?key|private[_-]?key|access[_-]?token|auth[_-]?token|refresh[_-]?token|token|"
    r"credentials?)"
)

DETECTORS: tuple[Detector, ...] = (
    Detector(
        "private-key",
        re.compile(
            r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
            r"(?:[\s\S]*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|[^\n]*)"
        ),
    ),
    Detector("github-token", re.compile(r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36,255}\b")),
    Detector("github-token", re.compile(r"\bgithub_pat_[A-Za-z0-9_]{22,255}\b")),
    Detector("gitlab-token", re.compile(r"\bglpat-[A-Za-z0-9_\-]{20,}")),
    Detector("anthropic-key", re.compile(r"\bsk-ant-[A-Za-z0-9_\-]{20,}")),
    Detector(
        "openai-key",
        re.compile(r"\bsk-(?!ant-)(?:proj-|svcacct-|admin-)?" r"[A-Za-z0-9_\-]{20,}"),
    ),
    Detector("slack-token", re.compile(r"\bxox[baprs]-[A-Za-z0-9\-]{10,}")),
    Detector("aws-access-key-id", re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b")),
    Detector(
        "aws-secret-key",
        re.compile(
            r"(?i)aws_?secret_?(?:access_?)?key[\"']?\s*[:=]\s*[\"']?([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])"
        ),
        group=1,
    ),
    Detector(
        "azure-storage-key",
        re.compile(r"(?i)(?:AccountKey|SharedAccessKey)\s*=\s*([A-Za-z0-9+/]{20,}={0,2})"),
        group=1,
    ),
    Detector("azure-sas-token", re.compile(r"(?i)[?&]sig=([A-Za-z0-9%+/=]{20,})"), group=1),
    Detector(
        "azure-client-secret",
        re.compile(
            r"(?<![A-Za-z0-9_~.\-])([A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.\-]{31,34})(?![A-Za-z0-9_~.\-])"
        ),
        group=1,
    ),
    Detector(
        "jwt",
        re.compile(r"\beyJ[A-Za-z0-9_\-]{10,}\.eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}"),
    ),
    Detector(
        "url-password",
        re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^\s:/@]+:([^\s@/]{1,256})@"),
        group=1,
        accept=_not_placeholder,
    ),
    # Connection strings (ADO.NET, ODBC): ``Password=...;`` / ``PWD=...;`` inside ``;``-separated
    # pairs, without spaces around ``=`` (``password = f();`` in code is not one).
    Detector(
        "connection-string-password",
        re.compile(r"(?i)\b(?:password|pwd)=([^;\"'\s()][^;\"'\r\n()]*);"),
        group=1,
        accept=_not_placeholder,
    ),
    Detector(
        "connection-string-password",
        re.compile(r"(?i);\s*(?:password|pwd)=([^;\"'\s()][^;\"'\r\n()]*)"),
        group=1,
        accept=_not_placeholder,
    ),
    Detector(
        "password-assignment",
        re.compile(
            rf"(?i)\b[\w.\-]*{_SENSITIVE_NAMES}\b[\"']?\s*(?::\s*[\w\[\], |]+?\s*)?(?:=|:|=>|:=)\s*"
            r"[bru]?([\"'])([^\"'\s]{8,})\1"
        ),
        group=2,
        accept=_not_placeholder,
    ),
    Detector("high-entropy", _BASE64ISH, accept=_random_looking),
)


def find_secrets(text: str) -> list[SecretFinding]:
    """Every secret in ``text``, sorted by position, without overlaps."""
    taken: list[SecretFinding] = []
    for detector in DETECTORS:
        for match in detector.pattern.finditer(text):
            start, end = match.span(detector.group)
            if start == end or (detector.accept and not detector.accept(match[detector.group])):
                continue
            if any(start < other.end and other.start < end for other in taken):
                continue
            taken.append(SecretFinding(detector.kind, start, end))
    return sorted(taken, key=lambda finding: finding.start)
