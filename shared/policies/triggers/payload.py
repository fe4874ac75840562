"""Typed reads from an untrusted JSON payload, with machine-readable errors.

A webhook body is whatever the sender put there. Triggers read the few fields they need through
``Payload``; a field that is absent or of the wrong type raises ``InvalidInput`` with the code
``missing-field`` and the dotted path, so the sender gets a 400 that names it — never a 500.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.domain.errors import InvalidInput


class Payload:
    """A read-only view of a JSON object that knows its path from the document root."""

    def __init__(self, data: Mapping[str, Any], path: str = "") -> None:
        self._data = data
        self._path = path

    def _where(self, key: str) -> str:
        return f"{self._path}.{key}" if self._path else key

    def get(self, key: str) -> Any:
        """The raw value under ``key`` (``None`` when absent)."""
        return self._data.get(key)

    def obj(self, key: str) -> Payload:
        """The object under ``key``; raises ``missing-field`` when absent or not an object."""
        value = self._data.get(key)
        if not isinstance(value, Mapping):
            raise _missing(self._where(key), "an object")
        return Payload(value, self._where(key))

    def opt_obj(self, key: str) -> Payload | None:
        value = self._data.get(key)
        return Payload(value, self._where(key)) if isinstance(value, Mapping) else None

    def text(self, key: str) -> str:
        """A non-empty string (numbers are accepted and turned into text: ids often are)."""
        value = self._data.get(key)
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise _missing(self._where(key), "a string")
        text = str(value)
        if not text:
            raise _missing(self._where(key), "a non-empty string")
        return text

    def opt_text(self, key: str) -> str:
        """A string, or ``""`` when absent or null."""
        value = self._data.get(key)
        if isinstance(value, str):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        return ""

    def flag(self, key: str) -> bool:
        return self._data.get(key) is True

    def names(self, key: str, field: str = "title") -> list[str]:
        """``field`` of each object in the list under ``key`` (labels); ``[]`` when absent."""
        value = self._data.get(key)
        if not isinstance(value, list):
            return []
        return [str(v[field]) for v in value if isinstance(v, Mapping) and field in v]


def _missing(path: str, what: str) -> InvalidInput:
    return InvalidInput(f"field {path!r} must be {what}", code="missing-field")
