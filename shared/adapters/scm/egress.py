"""Where the platform may send SCM requests: the guard against server-side request forgery.

A TenantAdmin names an SCM connection's ``base_url``; without a guard the server would call
whatever it names — the cloud metadata service (169.254.169.254), the platform's own database on
loopback, hosts of private networks — and "test connectivity" would report what answered.

The policy: the URL is ``http(s)`` (``https`` only in Azure) with a host, and every address the
host resolves to is public (``ipaddress``'s ``is_global``; IPv4-mapped IPv6 judged as its IPv4
address) — unless the host, or ``host:port``, matches the operator's allow-list
(``SCM_ALLOWED_HOSTS``: comma-separated patterns, ``*`` wildcards, IPv6 in brackets; tests and
devhost list their 127.0.0.1 emulators there). The check runs when a connection is registered
and again each time an SCM client is built for it, so a name re-pointed at a private address
later (DNS rebinding between registration and use) is refused at use. What remains is the short
window between this resolution and the SDK's own; closing it would need every SDK's socket
layer pinned to the checked address.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import socket
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from shared.domain.errors import InvalidInput

CODE = "base-url-not-allowed"
Resolver = Callable[[str, int], list[str]]


def resolve_addresses(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (A and AAAA), as text."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def parse_allowed_hosts(text: str | None) -> tuple[str, ...]:
    """``SCM_ALLOWED_HOSTS`` as lower-case patterns (empty entries dropped)."""
    return tuple(p.strip().lower() for p in (text or "").split(",") if p.strip())


def is_public(address: str) -> bool:
    """A globally routable unicast address (not loopback, private, link-local, ULA, ...)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


class EgressPolicy:
    """Checks SCM base URLs; ``check`` raises ``InvalidInput`` (400, ``base-url-not-allowed``)."""

    def __init__(
        self,
        *,
        allowed_hosts: Iterable[str] = (),
        require_https: bool = False,
        resolve: Resolver = resolve_addresses,
    ) -> None:
        self._allowed = tuple(allowed_hosts)
        self._require_https = require_https
        self._resolve = resolve

    def check(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        schemes = ("https",) if self._require_https else ("https", "http")
        if parts.scheme.lower() not in schemes:
            raise _refused(f"base_url must be an {' or '.join(schemes)} URL")
        try:
            host, port = parts.hostname, parts.port
        except ValueError as exc:  # a port out of range or not a number
            raise _refused("base_url has an invalid port") from exc
        if not host:
            raise _refused("base_url names no host")
        port = port or (443 if parts.scheme.lower() == "https" else 80)
        if self._allowed_by_operator(host, port):
            return
        try:
            addresses = self._resolve(host, port)
        except (OSError, UnicodeError) as exc:
            raise _refused(f"the host {host!r} of base_url does not resolve") from exc
        if not addresses or not all(is_public(a) for a in addresses):
            raise _refused(
                f"the host {host!r} of base_url resolves to a non-public address "
                "(operators allow such hosts with SCM_ALLOWED_HOSTS)"
            )

    def _allowed_by_operator(self, host: str, port: int) -> bool:
        shown = f"[{host}]" if ":" in host else host
        candidates = (host.lower(), shown.lower(), f"{shown}:{port}".lower())
        return any(fnmatch.fnmatchcase(c, _glob(p)) for p in self._allowed for c in candidates)


def _glob(pattern: str) -> str:
    """The pattern for ``fnmatch`` with brackets literal (they enclose IPv6 hosts here)."""
    return "".join({"[": "[[]", "]": "[]]"}.get(ch, ch) for ch in pattern)


def _refused(detail: str) -> InvalidInput:
    return InvalidInput(detail, code=CODE)
