"""PostgreSQL Flexible Server: private access only, Entra ID authentication, HA and backups.

Recovery objectives (seed: RPO <= 15 min, RTO <= 1 h):
- zone failure: zone-redundant HA with synchronous standby -> RPO 0, automatic failover in ~2 min;
- logical damage: point-in-time restore inside ``backup_retention_days`` (WAL archived
  continuously, RPO minutes), restore time well under an hour at this size;
- region loss: geo-redundant backups where the region has a pair (geo-restore; Azure states an RPO
  of up to 1 h for it, see README).
Tenant databases are created by ``TenantStack``; roles inside them are SQL, created by the app.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_azure_native import dbforpostgresql as pg

from agent_infra.naming import Naming
from agent_infra.settings import PostgresSettings

PLATFORM_DATABASE = "platform"
# Server parameters, chained because the server accepts one parameter change at a time: transport
# security pinned, and pgvector allow-listed (code retrieval's embeddings; the provisioner creates
# the extension in each tenant database, see shared/adapters/store/postgres/roles.py).
SERVER_PARAMETERS = (
    ("require_secure_transport", "on"),
    ("ssl_min_protocol_version", "TLSv1.2"),
    ("azure.extensions", "VECTOR"),
)


@dataclass(frozen=True)
class DatabaseArgs:
    resource_group_name: pulumi.Input[str]
    location: str
    naming: Naming
    settings: PostgresSettings
    tenant_id: pulumi.Input[str]
    delegated_subnet_id: pulumi.Input[str]
    private_dns_zone_id: pulumi.Input[str]
    network: pulumi.Resource
    tags: dict[str, str]


class Database(pulumi.ComponentResource):
    """The platform's PostgreSQL server and its control-plane database."""

    def __init__(self, name: str, args: DatabaseArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("aica:platform:Database", name, None, opts)
        s = args.settings
        self.server = pg.Server(
            f"{name}-server",
            server_name=args.naming.global_name("psql"),
            resource_group_name=args.resource_group_name,
            location=args.location,
            version=s.version,
            sku=pg.SkuArgs(name=s.sku_name, tier=s.sku_tier),
            storage=pg.StorageArgs(storage_size_gb=s.storage_gb, auto_grow="Enabled"),
            availability_zone=s.primary_zone,
            high_availability=pg.HighAvailabilityArgs(
                mode="ZoneRedundant" if s.high_availability else "Disabled",
                standby_availability_zone=s.standby_zone if s.high_availability else None,
            ),
            backup=pg.BackupArgs(
                backup_retention_days=s.backup_retention_days,
                geo_redundant_backup="Enabled" if s.geo_redundant_backup else "Disabled",
            ),
            network=pg.NetworkArgs(
                delegated_subnet_resource_id=args.delegated_subnet_id,
                private_dns_zone_arm_resource_id=args.private_dns_zone_id,
                public_network_access="Disabled",
            ),
            # Entra ID only: no password exists to leak; the provisioner's identity is admin.
            auth_config=pg.AuthConfigArgs(
                active_directory_auth="Enabled",
                password_auth="Disabled",  # noqa: S106 (an auth mode, not a password)
                tenant_id=args.tenant_id,
            ),
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[args.network], protect=True),
        )
        previous: list[pulumi.Resource] = []
        for parameter, value in SERVER_PARAMETERS:
            previous = [
                pg.Configuration(
                    f"{name}-{parameter.replace('_', '-').replace('.', '-')}",
                    configuration_name=parameter,
                    server_name=self.server.name,
                    resource_group_name=args.resource_group_name,
                    value=value,
                    source="user-override",
                    opts=pulumi.ResourceOptions(parent=self, depends_on=previous),
                )
            ]
        self.platform_database = pg.Database(
            f"{name}-platform-db",
            database_name=PLATFORM_DATABASE,
            server_name=self.server.name,
            resource_group_name=args.resource_group_name,
            charset="UTF8",
            collation="en_US.utf8",
            opts=pulumi.ResourceOptions(parent=self, protect=True),
        )
        self.host = self.server.fully_qualified_domain_name
        self.server_name = self.server.name
        self.register_outputs({"host": self.host, "database": PLATFORM_DATABASE})
