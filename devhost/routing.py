"""HTTP route templates as the Functions host understands them (ASP.NET routing syntax).

A template is a ``/``-separated list of segments. A segment is a literal (matched
case-insensitively), a parameter ``{name}``, an optional trailing parameter ``{name?}``, a
constrained parameter ``{name:int}`` (constraints chain: ``{n:int:min(1)}``), a catch-all
``{*rest}`` (last segment; matches the remaining path, slashes included, possibly empty) or a
complex segment mixing literals and parameters (``{name}.{ext}``). When several templates match
a path the most specific wins, as in ASP.NET: literal segments before complex ones, constrained
parameters before plain ones, catch-alls last.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

_PARAM = re.compile(r"\{(?P<body>[^{}]+)\}")
_CONSTRAINT = re.compile(r"^(?P<name>[a-zA-Z]+)(?:\((?P<arg>.*)\))?$")

Check = Callable[[str], bool]


class RouteTemplateError(ValueError):
    """A route template that the Functions host would reject."""


def _is_number(kind: type) -> Check:
    def check(value: str) -> bool:
        try:
            kind(value)
        except ValueError:
            return False
        return True

    return check


def _is_int(bits: int) -> Check:
    limit = 2 ** (bits - 1)
    return lambda v: bool(re.fullmatch(r"-?\d+", v)) and -limit <= int(v) < limit


def _is_guid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _is_datetime(value: str) -> bool:
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def _numbers(arg: str | None, count: int) -> list[int]:
    parts = [p.strip() for p in (arg or "").split(",")]
    if len(parts) != count or not all(re.fullmatch(r"-?\d+", p) for p in parts):
        raise RouteTemplateError(f"constraint needs {count} integer argument(s), got {arg!r}")
    return [int(p) for p in parts]


def _constraint(text: str) -> Check:
    match = _CONSTRAINT.match(text)
    if not match:
        raise RouteTemplateError(f"malformed route constraint {text!r}")
    name, arg = match.group("name").lower(), match.group("arg")
    simple: dict[str, Check] = {
        "int": _is_int(32),
        "long": _is_int(64),
        "float": _is_number(float),
        "double": _is_number(float),
        "decimal": _is_number(float),
        "bool": lambda v: v.lower() in ("true", "false"),
        "alpha": lambda v: bool(re.fullmatch(r"[a-zA-Z]+", v)),
        "guid": _is_guid,
        "datetime": _is_datetime,
    }
    if name in simple and arg is None:
        return simple[name]
    if name in ("min", "max", "minlength", "maxlength"):
        (n,) = _numbers(arg, 1)
        return {
            "min": lambda v: _is_int(64)(v) and int(v) >= n,
            "max": lambda v: _is_int(64)(v) and int(v) <= n,
            "minlength": lambda v: len(v) >= n,
            "maxlength": lambda v: len(v) <= n,
        }[name]
    if name == "length":
        bounds = _numbers(arg, 2) if arg and "," in arg else _numbers(arg, 1) * 2
        return lambda v: bounds[0] <= len(v) <= bounds[1]
    if name == "range":
        low, high = _numbers(arg, 2)
        return lambda v: _is_int(64)(v) and low <= int(v) <= high
    if name == "regex" and arg:
        pattern = re.compile(arg, re.IGNORECASE)
        return lambda v: pattern.search(v) is not None
    raise RouteTemplateError(f"unknown route constraint {text!r}")


@dataclass(frozen=True)
class _Param:
    name: str
    optional: bool
    catch_all: bool
    checks: tuple[Check, ...]


def _parse_param(body: str) -> _Param:
    catch_all = body.startswith("*")
    body = body.lstrip("*")
    name, *constraints = body.split(":")
    optional = name.endswith("?") or bool(constraints and constraints[-1].endswith("?"))
    name = name.rstrip("?")
    if constraints:
        constraints[-1] = constraints[-1].rstrip("?")
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise RouteTemplateError(f"invalid route parameter name {name!r}")
    return _Param(name, optional, catch_all, tuple(_constraint(c) for c in constraints))


class RouteTemplate:
    """One compiled template: ``match(path)`` gives its route parameters or ``None``."""

    def __init__(self, template: str) -> None:
        self.template = template.strip("/")
        self._params: list[_Param] = []
        pattern, precedence = self._compile(self.template)
        self._regex = re.compile(pattern, re.IGNORECASE | re.DOTALL)
        self.precedence = tuple(precedence)

    def _compile(self, template: str) -> tuple[str, list[int]]:
        pattern, precedence = "", []
        segments = template.split("/") if template else []
        for index, segment in enumerate(segments):
            params = [_parse_param(m.group("body")) for m in _PARAM.finditer(segment)]
            literal_only = _PARAM.sub("", segment)
            if "{" in literal_only or "}" in literal_only:
                raise RouteTemplateError(f"unbalanced braces in route {template!r}")
            self._params.extend(params)
            last = index == len(segments) - 1
            if len(params) == 1 and _PARAM.fullmatch(segment):
                param = params[0]
                if param.catch_all:
                    if not last:
                        raise RouteTemplateError(f"catch-all must be last in {template!r}")
                    pattern += f"(?:/(?P<{param.name}>.*))?"
                    precedence.append(5)
                elif param.optional:
                    pattern += f"(?:/(?P<{param.name}>[^/]+))?"
                    precedence.append(3 if param.checks else 4)
                else:
                    pattern += f"/(?P<{param.name}>[^/]+)"
                    precedence.append(3 if param.checks else 4)
                continue
            if any(p.catch_all or p.optional for p in params):
                raise RouteTemplateError(f"optional or catch-all parameter inside {segment!r}")
            pieces = _PARAM.split(segment)
            regex = "".join(
                re.escape(piece) if i % 2 == 0 else f"(?P<{params[i // 2].name}>[^/]+?)"
                for i, piece in enumerate(pieces)
            )
            pattern += "/" + regex
            precedence.append(2 if params else 1)
        names = [p.name.lower() for p in self._params]
        if len(set(names)) != len(names):
            raise RouteTemplateError(f"duplicate parameter name in route {template!r}")
        return pattern, precedence

    def match(self, path: str) -> dict[str, str] | None:
        """Route parameters for ``path`` (leading/trailing slashes ignored), or ``None``."""
        trimmed = "/" + path.strip("/") if path.strip("/") else ""
        found = self._regex.fullmatch(trimmed)
        if found is None:
            return None
        values: dict[str, str] = {}
        for param in self._params:
            value = found.group(param.name)
            if value is None or (param.catch_all and value == ""):
                continue
            if not all(check(value) for check in param.checks):
                return None
            values[param.name] = value
        return values


T = TypeVar("T")


@dataclass(frozen=True)
class RouteMatch(Generic[T]):
    target: T
    params: dict[str, str]


class MethodNotAllowed(Exception):
    """The path matches at least one route, but none accepts the method."""

    def __init__(self, allowed: Iterable[str]) -> None:
        super().__init__("method not allowed")
        self.allowed = sorted(set(allowed))


@dataclass(frozen=True)
class _Entry(Generic[T]):
    template: RouteTemplate
    methods: frozenset[str] | None  # None: every method
    target: T


class Router(Generic[T]):
    """Routes ``(method, path)`` to targets, most specific template first."""

    def __init__(self) -> None:
        self._entries: list[_Entry[T]] = []

    def add(self, template: str, methods: Iterable[str] | None, target: T) -> None:
        allowed = frozenset(m.upper() for m in methods) if methods else None
        self._entries.append(_Entry(RouteTemplate(template), allowed, target))
        self._entries.sort(key=lambda e: (e.template.precedence, e.template.template.lower()))

    def resolve(self, method: str, path: str) -> RouteMatch[T] | None:
        """The best match; ``None`` when no template matches the path.

        Raises ``MethodNotAllowed`` when templates match the path but none accepts ``method``.
        """
        allowed: list[str] = []
        for entry in self._entries:
            params = entry.template.match(path)
            if params is None:
                continue
            if entry.methods is None or method.upper() in entry.methods:
                return RouteMatch(entry.target, params)
            allowed.extend(entry.methods)
        if allowed:
            raise MethodNotAllowed(allowed)
        return None
