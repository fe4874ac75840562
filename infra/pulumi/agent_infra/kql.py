"""KQL kept as files (``queries/*.kql``), parameterised by typed ``let`` statements.

A query file is plain KQL that names its parameters (each file's header says which); ``query``
puts a ``let`` for each in front, so what Azure Monitor runs is exactly file + parameters, and
tests can parse and bind the deployed text against the Application Insights schema.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

QUERIES_DIR = Path(__file__).with_name("queries")
_TIMESPAN = re.compile(r"^\d+(d|h|m|s)$")
_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


@dataclass(frozen=True)
class Timespan:
    """A KQL timespan literal such as ``5m``, ``1h`` or ``2d``."""

    literal: str

    def __post_init__(self) -> None:
        if not _TIMESPAN.match(self.literal):
            raise ValueError(f"not a KQL timespan literal: {self.literal!r}")


def literal(value: str | float | Timespan) -> str:
    """``value`` as a KQL literal (strings quoted and escaped as JSON strings are)."""
    if isinstance(value, Timespan):
        return value.literal
    if isinstance(value, bool):
        raise TypeError("booleans are not query parameters here")
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, int | float):
        return f"real({float(value):.9g})"  # 99.9 / 100 is 0.999, not 0.9990000000000001
    raise TypeError(f"no KQL literal for {type(value).__name__}")


def query(name: str, **parameters: str | float | Timespan) -> str:
    """The text of ``queries/<name>.kql`` preceded by a ``let`` per parameter."""
    body = (QUERIES_DIR / f"{name}.kql").read_text(encoding="utf-8")
    lets = []
    for key, value in parameters.items():
        if not _NAME.match(key):
            raise ValueError(f"bad parameter name {key!r}")
        lets.append(f"let {key} = {literal(value)};\n")
    return "".join(lets) + body
