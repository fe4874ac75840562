"""Every SCM call as a CLIENT span: ``scm <capability>.<operation>`` with ``scm.provider``,
``scm.operation``, ``scm.repository`` and ``scm.status`` (``ok`` or the domain error's code).

A wrapper around the capabilities of any ``Scm`` (``ScmFactory`` applies it), so the adapters
stay free of telemetry and no call escapes it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import fields
from typing import Any, cast

from shared.domain.errors import DomainError
from shared.domain.scm import ScmConnection
from shared.ports.scm import Scm
from shared.telemetry.tracing import client_span


class _TracedCapability:
    """Delegates to ``target``; its public methods run inside a client span."""

    def __init__(self, target: object, capability: str, attributes: dict[str, str]) -> None:
        self._target = target
        self._capability = capability
        self._attributes = attributes

    @property
    def traced(self) -> object:
        """The capability whose calls are traced."""
        return self._target

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._target, name)
        if name.startswith("_") or not callable(found):
            return found
        return self._traced(name, found)

    def _traced(self, name: str, method: Callable[..., Any]) -> Callable[..., Any]:
        operation = f"{self._capability}.{name}"

        @functools.wraps(method)
        def call(*args: Any, **kwargs: Any) -> Any:
            attributes = {**self._attributes, "scm.operation": operation}
            with client_span(f"scm {operation}", attributes) as span:
                try:
                    result = method(*args, **kwargs)
                except DomainError as exc:
                    span.set_attribute("scm.status", exc.code)
                    raise
                except Exception:
                    span.set_attribute("scm.status", "error")
                    raise
                span.set_attribute("scm.status", "ok")
                return result

        return call


def traced_scm(scm: Scm, connection: ScmConnection) -> Scm:
    """``scm`` with each capability wrapped (same interface; domain types only cross it)."""
    attributes = {
        "scm.provider": str(connection.provider),
        "scm.repository": connection.repository,
    }
    wrapped = {
        f.name: cast(Any, _TracedCapability(getattr(scm, f.name), f.name, attributes))
        for f in fields(scm)
    }
    return Scm(**wrapped)
