"""The composition root's PostgreSQL logins: the app's own (platform tables, tenant work under
each tenant's role) and the provisioner's (tenant databases, roles, migrations). Locally both are
URLs (devhost's embedded server); in Azure they are Entra ID logins on POSTGRES_HOST whose
passwords are the managed identities' tokens."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from shared.adapters.store.postgres.database import Database, PoolLimits
from shared.adapters.store.postgres.entra import EntraTokenPassword
from shared.adapters.store.postgres.roles import ensure_entra_login
from shared.config import Settings
from shared.domain.errors import ConfigurationError

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential

Credentials = Callable[[str | None], "TokenCredential"]


def open_database(
    settings: Settings,
    credentials: Credentials,
    *,
    url: str | None,
    user: str | None,
    client_id: str | None,
    min_size: int,
) -> Database:
    """A ``Database`` on ``url``, or in Azure on POSTGRES_HOST as ``user`` with Entra ID
    tokens of the managed identity ``client_id``."""
    s = settings
    password = None
    if url is None:
        if not s.postgres_host:
            raise ConfigurationError(
                "DATABASE_URL is not set (devhost sets it to its embedded PostgreSQL; "
                "in Azure set POSTGRES_HOST)"
            )
        url = f"host={s.postgres_host} dbname={s.postgres_database} sslmode=require"
        if user:
            url += f" user={user}"
    if s.postgres_auth == "entra":
        password = EntraTokenPassword(credentials(client_id))
    limits = PoolLimits(
        min_size=min_size,
        max_size=s.db_pool_max_size,
        tenant_max_size=s.db_tenant_pool_max_size,
        tenant_max_connections=s.db_tenant_max_connections,
        max_lifetime=s.db_connection_max_lifetime_s,
    )
    database = Database(url, limits=limits, password=password)
    database.open()
    return database


def app_database(
    settings: Settings, credentials: Credentials, admin: Callable[[], Database | None]
) -> Database:
    """The app's login. In Azure (``POSTGRES_OBJECT_ID``) the provisioner (``admin``, asked for
    only then) first makes sure that login exists, as a plain one: only it, an Entra ID
    administrator, may create it."""
    s = settings
    if s.postgres_object_id and s.postgres_user and (admin_db := admin()) is not None:
        with admin_db.connection() as conn:
            ensure_entra_login(conn, s.postgres_user, s.postgres_object_id)
    return open_database(
        s, credentials, url=s.database_url, user=s.postgres_user,
        client_id=s.postgres_client_id, min_size=s.db_pool_min_size,
    )  # fmt: skip


def admin_database(settings: Settings, credentials: Credentials) -> Database | None:
    """The provisioner's login, when configured."""
    s = settings
    if s.database_admin_url or (s.postgres_host and s.postgres_admin_user):
        return open_database(
            s, credentials, url=s.database_admin_url, user=s.postgres_admin_user,
            client_id=s.postgres_admin_client_id, min_size=0,
        )  # fmt: skip
    return None
