"""Tenants: who owns the data, and where it lives."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from shared.domain.errors import InvalidTenantSlug

SLUG_PATTERN = re.compile(r"^[a-z][a-z0-9-]{1,40}$")


def validate_slug(slug: str) -> str:
    """Return ``slug`` if it is a valid tenant slug, else raise ``InvalidTenantSlug``."""
    if not isinstance(slug, str) or not SLUG_PATTERN.fullmatch(slug):
        raise InvalidTenantSlug(f"invalid tenant slug {slug!r}: expected ^[a-z][a-z0-9-]{{1,40}}$")
    return slug


class TenantStatus(StrEnum):
    ACTIVE = "active"
    DISABLED = "disabled"


@dataclass(frozen=True)
class TenantLocation:
    """Where a tenant's data lives: its database, a schema in it and the role that may use
    them (``database`` is None only for tenants made before databases per tenant)."""

    slug: str
    schema: str
    role: str
    database: str | None = None


@dataclass(frozen=True)
class Tenant:
    slug: str
    display_name: str
    status: TenantStatus
    created_at: datetime
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def active(self) -> bool:
        return self.status is TenantStatus.ACTIVE
