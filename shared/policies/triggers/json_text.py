"""Strict JSON text (RFC 8259) for webhook bodies: UTF-8, nothing that cannot be stored.

``json.loads(bytes)`` is lenient in ways a webhook must not be: it guesses UTF-16/32 from the
first bytes (``\\xff\\xfe`` reads as a UTF-16 byte-order mark) and decodes with
``surrogatepass``, so an encoded lone surrogate (``\\xed\\xa0\\x80``) becomes a ``str`` that
PostgreSQL, the audit hash and every SCM reply then fail on. RFC 8259 §8.1 requires UTF-8, and
§8.2 leaves strings with unpaired surrogate escapes (``"\\ud800"``) undefined; we refuse both,
and ``\\u0000`` too (PostgreSQL text cannot hold NUL), with 400 ``invalid-utf8`` before anything
is recorded. A UTF-8 byte-order mark is ignored, as §8.1 allows.
"""

from __future__ import annotations

import json
import re
from typing import Any

from shared.domain.errors import InvalidInput

INVALID_UTF8 = "invalid-utf8"
# The only escapes that can produce a character UTF-8 cannot carry or PostgreSQL cannot store.
_SUSPECT_ESCAPE = re.compile(r"\\u(?:[dD][89a-fA-F]|0000)")


def loads_json_text(body: bytes) -> Any:
    """The JSON value of ``body``; ``InvalidInput`` (``invalid-utf8`` or ``malformed-json``)
    when it is not strict UTF-8 JSON text whose strings are all valid Unicode without NUL."""
    try:
        text = body.decode("utf-8")  # strict: no surrogates, no overlongs, no stray bytes
    except UnicodeDecodeError as exc:
        raise InvalidInput("the body is not valid UTF-8", code=INVALID_UTF8) from exc
    try:
        value = json.loads(text.removeprefix("\ufeff"))
    except (ValueError, RecursionError) as exc:
        raise InvalidInput("the body is not valid JSON", code="malformed-json") from exc
    # Paired surrogate escapes (emoji) are common and fine; only walk the value when one of
    # the suspect escapes occurs at all, so ordinary bodies cost one regex scan.
    if _SUSPECT_ESCAPE.search(text) and not _storable(value):
        raise InvalidInput(
            "the body has a string that is not valid Unicode text (a lone surrogate or NUL)",
            code=INVALID_UTF8,
        )
    return value


def _storable(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item or not _encodes(item):
                return False
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return True


def _encodes(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
