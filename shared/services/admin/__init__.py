"""The admin API's use cases, also called by ``python -m tools.admin``."""

from __future__ import annotations

from dataclasses import dataclass

from shared.services.admin.access import AccessService
from shared.services.admin.connections import ConnectionAdmin
from shared.services.admin.reports import AuditReports, UsageReports
from shared.services.admin.session import ConsoleSession
from shared.services.admin.tasks import TaskAdmin
from shared.services.admin.tenants import PlatformAdmin, TenantPolicies


@dataclass(frozen=True)
class AdminServices:
    """Everything the admin API calls, wired once by ``shared.bootstrap``."""

    access: AccessService
    platform: PlatformAdmin
    policies: TenantPolicies
    connections: ConnectionAdmin
    tasks: TaskAdmin
    audit: AuditReports
    usage: UsageReports
    session: ConsoleSession
