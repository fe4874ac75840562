"""Secrets recognised by their shape: vendor token formats, key blocks, credentials in URLs and
authorization values, and (last) long random-looking strings.

Each ``Detector`` is a pattern, the group that is the secret and an optional test of the match
(``accept``, given the whole match so that it can look at the context). Vendor shapes follow the
vendors' documented formats (prefixes such as ``ghp_``, ``glpat-``, ``sk_live_``, ``SG.``).

What is deliberately *not* a secret: digests (lock-file ``integrity``/``sha512-`` values, go.sum
``h1:`` hashes, git SHAs and other hex strings), base64 payloads of ``data:`` URIs, paths and long
identifiers, and placeholders (``is_placeholder``).
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

ENTROPY_MIN_LENGTH = 32
ENTROPY_MAX_LENGTH = 200  # longer runs are embedded data (images, fonts), not credentials
ENTROPY_THRESHOLD = 4.2

_PLACEHOLDER = re.compile(
    r"""^(?:
        \$\{\{?.*\}\}?|\$\(.*\)|\$[A-Za-z_]\w*|\{\{.*\}\}|\{\w*\}|\#\{.*\}|%\(\w+\)s|%s|@\w+@
      | <[^>]*>|\[[^\]]*\]|\*+|•+|\.{3,}|x{3,}\w*|X{3,}\w*|-+|_+|0+
      | (?:ENC|vault|op|ref\+\w+|azurekeyvault|secretsmanager|arn|env|file|secret)[:\[].*
      | !(?:Ref|Sub|GetAtt|vault)\b.*
      | (?i:(?:change|replace|enter|insert|put|add|set|your|my|example|sample|dummy|fake|test|
            default|placeholder|redacted|todo|tbd|fixme|none|null|nil|undefined|empty|
            secret|secrets|password|passwd|pass|pwd|token|key|apikey|api[_-]?key|changeit)
            (?:[_\-.\s]?(?:me|it|here|your|my|the|a|an|value|secret|password|passwd|token|key|
            api|apikey|db|database|user|app|access|auth|client|private|string|goes|real|own|s|
            placeholder|example|sample|redacted))*)
    )$""",
    re.VERBOSE,
)
_ELIDED = re.compile(r"x{3,}|X{3,}|\.{3,}|\*{3,}|•{3,}|…")
_DIGEST_BEFORE = re.compile(r"(?:sha1|sha224|sha256|sha384|sha512|md5)[-:]$|h1:$|base64,$", re.I)
_DIGEST_PREFIX = re.compile(r"^(?:sha1|sha224|sha256|sha384|sha512|md5)-", re.I)
_HEX = re.compile(r"^[0-9a-fA-F]+$")
_WORDY_PART = re.compile(r"^(?:[A-Z]?[a-z]{2,}|[A-Z]{2,})\d*$|^\d+$")
_PARTS = re.compile(r"[/_\-.+]+|(?<=[a-z0-9])(?=[A-Z])")


def is_placeholder(value: str) -> bool:
    """A value that stands for a secret without being one: ``changeme``, ``<your-token>``,
    ``${DB_PASSWORD}``, ``%(password)s``, ``{{ secrets.X }}``, ``***``, ``xxx``, ``ENC[...]``,
    or an example shaped like one with its secret part elided (``ghp_xxxx``, ``sk_test_...``)."""
    value = value.strip().rstrip(",;").strip("'\"`")
    return _PLACEHOLDER.match(value) is not None or _ELIDED.search(value) is not None


def shannon_entropy(value: str) -> float:
    counts = Counter(value)
    total = len(value)
    return -sum(n / total * math.log2(n / total) for n in counts.values()) if total else 0.0


@dataclass(frozen=True)
class Detector:
    """A kind of secret: the pattern, which group is the secret, and an optional extra test."""

    kind: str
    pattern: re.Pattern[str]
    group: int | str = 0
    accept: Callable[[re.Match[str]], bool] | None = None
    #: Lowercase strings one of which every match contains: a text (lowercased) holding none of
    #: them is not searched (most texts hold no vendor prefix; ``in`` is far cheaper than a scan).
    hints: tuple[str, ...] = ()


def _not_placeholder(match: re.Match[str]) -> bool:
    return not is_placeholder(match[1])


def _has_digit(match: re.Match[str]) -> bool:
    value = match[1]
    return any(c.isdigit() for c in value) and not is_placeholder(value)


def _basic_credentials(match: re.Match[str]) -> bool:
    """``Basic`` followed by base64 of ``user:password`` (not prose such as "Basic auth")."""
    try:
        decoded = base64.b64decode(match[1] + "=" * (-len(match[1]) % 4), validate=True)
    except (binascii.Error, ValueError):
        return False
    return b":" in decoded and decoded.isascii()


def _random_looking(match: re.Match[str]) -> bool:
    core = match[0].rstrip("=")
    before = match.string[max(0, match.start() - 8) : match.start()]
    return (
        ENTROPY_MIN_LENGTH <= len(core) <= ENTROPY_MAX_LENGTH
        and not _DIGEST_BEFORE.search(before)
        and not _DIGEST_PREFIX.match(core)
        and not _HEX.match(core)
        and any(c.isupper() for c in core)
        and any(c.islower() for c in core)
        and any(c.isdigit() for c in core)
        and not all(_WORDY_PART.match(part) for part in _PARTS.split(core) if part)
        and shannon_entropy(core) >= ENTROPY_THRESHOLD
    )


def _shape(kind: str, pattern: str, *hints: str) -> Detector:
    return Detector(kind, re.compile(pattern), hints=hints)


SHAPES: tuple[Detector, ...] = (
    Detector(
        "private-key",
        re.compile(
            r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
            r"(?:[\s\S]*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|[^\n]*)"
        ),
    ),
    _shape(
        "github-token",
        r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36,255}\b",
        "ghp_",
        "gho_",
        "ghu_",
        "ghs_",
        "ghr_",
    ),
    _shape("github-token", r"\bgithub_pat_[A-Za-z0-9_]{22,255}\b", "github_pat_"),
    _shape("gitlab-token", r"\bgl(?:pat|dt|rt|ptt|soat|cbt|ft|imt)-[A-Za-z0-9_\-]{20,}", "gl"),
    _shape("gitlab-token", r"\bGR1348941[A-Za-z0-9_\-]{20,}", "gr1348941"),
    _shape("anthropic-key", r"\bsk-ant-[A-Za-z0-9_\-]{20,}", "sk-ant-"),
    _shape("openai-key", r"\bsk-(?!ant-)(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}", "sk-"),
    _shape("stripe-key", r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{20,}\b", "k_live_", "k_test_"),
    _shape("stripe-key", r"\bwhsec_[A-Za-z0-9]{24,}\b", "whsec_"),
    _shape("npm-token", r"\bnpm_[A-Za-z0-9]{36}\b", "npm_"),
    _shape("sendgrid-key", r"\bSG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43}\b", "sg."),
    _shape("slack-token", r"\bxox[abeoprs]-[A-Za-z0-9\-]{10,}", "xox"),
    _shape("slack-token", r"\bxapp-\d-[A-Za-z0-9\-]{10,}", "xapp-"),
    Detector(
        "slack-webhook",
        re.compile(r"hooks\.slack\.com/(?:services|workflows)/([A-Za-z0-9_/]{20,})"),
        group=1,
    ),
    Detector(
        "discord-webhook",
        re.compile(r"discord(?:app)?\.com/api/webhooks/\d+/([A-Za-z0-9_\-]{40,})"),
        group=1,
    ),
    _shape(
        "aws-access-key-id",
        r"\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b",
        "akia",
        "asia",
        "abia",
        "acca",
    ),
    Detector(
        "aws-secret-key",
        re.compile(
            r"(?i)aws_?secret_?(?:access_?)?key[\"']?\s*[:=]\s*[\"']?([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])"
        ),
        group=1,
    ),
    _shape("gcp-api-key", r"\bAIza[0-9A-Za-z_\-]{35}(?![0-9A-Za-z_\-])", "aiza"),
    _shape("gcp-oauth", r"\bGOCSPX-[A-Za-z0-9_\-]{28}(?![A-Za-z0-9_\-])", "gocspx-"),
    _shape("gcp-oauth", r"\bya29\.[0-9A-Za-z_\-]{20,}", "ya29."),
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
    _shape("huggingface-token", r"\bhf_[A-Za-z0-9]{34,}\b", "hf_"),
    _shape("pypi-token", r"\bpypi-AgE[A-Za-z0-9_\-]{50,}", "pypi-age"),
    _shape("docker-token", r"\bdckr_pat_[A-Za-z0-9_\-]{27,}", "dckr_pat_"),
    _shape("shopify-token", r"\bshp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}\b", "shp"),
    _shape("digitalocean-token", r"\bdo[opr]_v1_[a-f0-9]{64}\b", "_v1_"),
    _shape("databricks-token", r"\bdapi[a-f0-9]{32}(?:-\d)?\b", "dapi"),
    _shape("twilio-key", r"\bSK[0-9a-fA-F]{32}\b", "sk"),
    _shape("mailgun-key", r"\bkey-[0-9a-zA-Z]{32}\b", "key-"),
    _shape("telegram-token", r"\b\d{8,10}:AA[A-Za-z0-9_\-]{33}\b", ":aa"),
    _shape("jwt", r"\beyJ[A-Za-z0-9_\-]{10,}\.eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}", "eyj"),
    Detector(
        "authorization",
        re.compile(r"\b(?:Bearer|bearer|BEARER|Token|token)[ \t]+([A-Za-z0-9\-._~+/]{16,}=*)"),
        group=1,
        accept=_has_digit,
    ),
    Detector(
        "authorization",
        re.compile(r"\b(?:Basic|basic|BASIC)[ \t]+([A-Za-z0-9+/]{8,}={0,2})(?![A-Za-z0-9+/=])"),
        group=1,
        accept=_basic_credentials,
    ),
    Detector(
        "url-password",
        re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^\s:/@\"'`]*:([^\s/\"'`]{1,256})@"),
        group=1,
        accept=_not_placeholder,
    ),
    Detector(  # curl -u / --user USER:PASSWORD
        "url-password",
        re.compile(r"(?<![\w-])(?:-u|--user)[ \t]+[\"']?[^\s:\"'@]+:([^\s\"'@]{4,})"),
        group=1,
        accept=_not_placeholder,
    ),
    Detector(  # .netrc / _netrc
        "netrc-password",
        re.compile(r"\bmachine[ \t]+\S+\s+(?:login[ \t]+\S+\s+)?password[ \t]+(\S+)"),
        group=1,
        accept=_not_placeholder,
        hints=("machine",),
    ),
    # Connection strings (ADO.NET, ODBC, JDBC): ``Password=...;`` / ``PWD=...;`` inside
    # ``;``-separated pairs, without spaces around ``=`` (``password = f();`` in code is not one).
    Detector(
        "connection-string-password",
        re.compile(r"(?i)\b(?:password|pwd)=([^;\"'\s()]+);"),
        group=1,
        accept=_not_placeholder,
    ),
    Detector(
        "connection-string-password",
        re.compile(r"(?i)[;?&]\s*(?:password|pwd)=([^;&\"'\s()][^;&\"'\r\n()]*)"),
        group=1,
        accept=_not_placeholder,
    ),
)

HIGH_ENTROPY = Detector(
    "high-entropy",
    re.compile(r"(?<![A-Za-z0-9+/=_\-])[A-Za-z0-9+/_\-]{32,}={0,2}(?![A-Za-z0-9+/=_\-])"),
    accept=_random_looking,
)
