"""Opaque cursors for keyset paging: the last row's key, base64url-encoded JSON.

A cursor only says where the next page starts; it grants nothing (every page is read in the
caller's own tenant store), so it needs no signature. A malformed one is a 400."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from shared.domain.errors import InvalidInput
from shared.ports.admin import Page


def page(cursor: str | None, limit: int) -> Page:
    if not cursor:
        return Page(None, limit)
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode() + b"=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput("malformed cursor", code="invalid-cursor") from exc
    if not isinstance(key, list) or not key or not all(isinstance(k, str | int) for k in key):
        raise InvalidInput("malformed cursor", code="invalid-cursor")
    return Page(tuple(key), limit)


def next_cursor(rows: list[dict[str, Any]], limit: int) -> str | None:
    """The cursor after the last row of a full page (``None``: this was the last page)."""
    if len(rows) < limit:
        return None
    encoded = json.dumps(list(rows[-1]["_key"]), default=str).encode()
    return base64.urlsafe_b64encode(encoded).decode().rstrip("=")
