"""The composition root's wiring of the admin API's services (also what ``python -m tools.admin``
calls): reads, role assignments and token validation, connections with their SCM check."""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.adapters.store.postgres.admin import PostgresAdminReads, PostgresRoleAssignments
from shared.adapters.store.postgres.connections import PostgresConnectionDirectory
from shared.adapters.store.postgres.platform_admin import PostgresConnectionList, PostgresQuotas
from shared.services.admin import AdminServices
from shared.services.admin.access import AccessService
from shared.services.admin.connections import ConnectionAdmin
from shared.services.admin.reports import AuditReports, UsageReports
from shared.services.admin.session import ConsoleSession
from shared.services.admin.tasks import TaskAdmin
from shared.services.admin.tenants import PlatformAdmin, TenantPolicies

if TYPE_CHECKING:
    from shared.bootstrap import Container


def admin_services(c: Container) -> AdminServices:
    reads = PostgresAdminReads(c.db, c.tenants, c.audit)
    access = AccessService(
        c.tenants,
        PostgresRoleAssignments(c.db, c.tenants, c.audit),
        c.token_validator,
        platform_directory=c.settings.entra_platform_tenant_id,
    )
    connections = ConnectionAdmin(
        PostgresConnectionDirectory(c.db),
        PostgresConnectionList(c.db),
        c.secrets,
        reads,
        lambda connection: c.scm.for_connection(connection, c.secrets),
        check_egress=c.scm.check_egress,
    )
    return AdminServices(
        access=access,
        platform=PlatformAdmin(c.tenants, PostgresQuotas(c.db)),
        policies=TenantPolicies(c.tenants, reads),
        connections=connections,
        tasks=TaskAdmin(reads, c.approval_store, c.tenants, c.keys),
        audit=AuditReports(reads, c.audit),
        usage=UsageReports(reads),
        session=ConsoleSession(c.tenants, access),
    )
