"""Tenant directory: which tenants exist, their status, and where their data lives."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from shared.domain.tenant import Tenant, TenantLocation, TenantStatus


class TenantDirectory(ABC):
    """Provision, look up and locate tenants.

    ``locate`` says where a tenant's data lives: its own database, a schema in it and the role
    that may use them, everywhere (embedded server and Azure alike). Every method takes the
    tenant explicitly.
    """

    @abstractmethod
    def provision(
        self, slug: str, display_name: str, settings: dict[str, Any] | None = None
    ) -> Tenant:
        """Create the tenant, its storage and its role, all or nothing."""

    @abstractmethod
    def deprovision(self, slug: str) -> None:
        """Remove the tenant and its data; refused (``TenantBusy``) while tasks are active."""

    @abstractmethod
    def get(self, slug: str) -> Tenant:
        """The tenant, or ``TenantNotFound``."""

    @abstractmethod
    def list(self) -> list[Tenant]: ...

    @abstractmethod
    def set_status(self, slug: str, status: TenantStatus) -> Tenant: ...

    @abstractmethod
    def update_settings(self, slug: str, settings: dict[str, Any]) -> Tenant:
        """Merge ``settings`` into the tenant's settings (shallow)."""

    @abstractmethod
    def locate(self, slug: str) -> TenantLocation:
        """Where the tenant's data lives, or ``TenantNotFound``."""

    def shares_directory(self, slug: str, directory: str) -> bool:
        """Whether a tenant other than ``slug`` is bound to the Entra ``directory`` too.

        Asked on every admin API call; stores answer it without listing every tenant."""
        return any(
            t.slug != slug and t.settings.get("entra_tenant_id") == directory for t in self.list()
        )
