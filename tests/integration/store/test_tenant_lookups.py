"""The lookups every admin API call makes: a tenant's location (kept once known, forgotten on
deprovisioning) and whether its Entra directory holds other tenants (one query, no listing)."""

from __future__ import annotations

import uuid

import pytest

from shared.adapters.store.postgres.database import Database
from shared.domain.errors import TenantNotFound


def test_a_location_is_looked_up_once_and_forgotten_when_deprovisioned(
    admin_db: Database, tenant_directory, new_tenant
) -> None:
    slug = new_tenant("loc").slug
    location = tenant_directory.locate(slug)
    with admin_db.connection() as conn:  # were it read again, the changed row would show
        conn.execute(
            "UPDATE platform.tenants SET schema_name = 'elsewhere' WHERE slug = %s", (slug,)
        )
    assert tenant_directory.locate(slug) == location
    with admin_db.connection() as conn:
        conn.execute(
            "UPDATE platform.tenants SET schema_name = %s WHERE slug = %s",
            (location.schema, slug),
        )
    tenant_directory.deprovision(slug)
    with pytest.raises(TenantNotFound):
        tenant_directory.locate(slug)


def test_shares_directory_sees_other_tenants_bound_to_the_same_directory(
    tenant_directory, new_tenant
) -> None:
    first, second = new_tenant("dir").slug, new_tenant("dir").slug
    directory = str(uuid.uuid4())
    tenant_directory.update_settings(first, {"entra_tenant_id": directory})
    assert tenant_directory.shares_directory(first, directory) is False
    tenant_directory.update_settings(second, {"entra_tenant_id": str(uuid.uuid4())})
    assert tenant_directory.shares_directory(first, directory) is False
    tenant_directory.update_settings(second, {"entra_tenant_id": directory})
    assert tenant_directory.shares_directory(first, directory) is True
    assert tenant_directory.shares_directory(second, directory) is True
