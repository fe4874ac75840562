"""The platform's virtual network, its subnets, private DNS zones and private endpoints.

Every data service is reached through a private endpoint (or, for PostgreSQL, a delegated subnet)
and resolved through a private DNS zone linked to this VNet; none has a public endpoint.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_azure_native import network, privatedns

from agent_infra.naming import Naming
from agent_infra.settings import NetworkSettings

# Private Link group id -> the public-cloud private DNS zone that resolves it.
PRIVATE_LINK_ZONES = {
    "vault": "privatelink.vaultcore.azure.net",
    "blob": "privatelink.blob.core.windows.net",
    "queue": "privatelink.queue.core.windows.net",
    "table": "privatelink.table.core.windows.net",
    "file": "privatelink.file.core.windows.net",
    "scheduler": "privatelink.durabletask.io",  # Durable Task Scheduler
}
APP_ENVIRONMENTS = "Microsoft.App/environments"  # Flex Consumption and Container Apps both
POSTGRES_FLEXIBLE = "Microsoft.DBforPostgreSQL/flexibleServers"


@dataclass(frozen=True)
class NetworkArgs:
    resource_group_name: pulumi.Input[str]
    location: str
    naming: Naming
    settings: NetworkSettings
    tags: dict[str, str]


class Network(pulumi.ComponentResource):
    """VNet with four subnets (Function App integration, private endpoints, PostgreSQL,
    Container Apps) and the private DNS zones of every private service, linked to the VNet."""

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("aica:platform:Network", name, None, opts)
        self._args = args
        self._logical = name
        net = args.settings
        self.vnet = network.VirtualNetwork(
            f"{name}-vnet",
            virtual_network_name=args.naming.regional("vnet"),
            resource_group_name=args.resource_group_name,
            location=args.location,
            address_space=network.AddressSpaceArgs(address_prefixes=[net.address_space]),
            tags=args.tags,
            # Subnets are separate resources below; the VNet must not try to own them.
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["subnets"]),
        )
        plan = [
            ("function", net.function_subnet, APP_ENVIRONMENTS),
            ("private-endpoints", net.private_endpoint_subnet, None),
            ("postgres", net.postgres_subnet, POSTGRES_FLEXIBLE),
            ("container-apps", net.container_apps_subnet, APP_ENVIRONMENTS),
        ]
        self.subnets: dict[str, network.Subnet] = {}
        previous: list[pulumi.Resource] = []
        for key, prefix, delegation in plan:
            # One at a time: Azure rejects concurrent subnet writes to one VNet.
            self.subnets[key] = network.Subnet(
                f"{name}-snet-{key}",
                subnet_name=f"snet-{key}",
                virtual_network_name=self.vnet.name,
                resource_group_name=args.resource_group_name,
                address_prefix=prefix,
                delegations=[network.DelegationArgs(name=key, service_name=delegation)]
                if delegation
                else None,
                private_endpoint_network_policies="Disabled" if delegation is None else None,
                opts=pulumi.ResourceOptions(parent=self, depends_on=previous),
            )
            previous = [self.subnets[key]]

        self.postgres_zone = self._zone(
            "postgres", f"{args.naming.regional('psql')}.private.postgres.database.azure.com"
        )
        self.zones = {group: self._zone(group, zone) for group, zone in PRIVATE_LINK_ZONES.items()}
        self.register_outputs(
            {
                "vnet_id": self.vnet.id,
                "subnet_ids": {key: subnet.id for key, subnet in self.subnets.items()},
            }
        )

    def _zone(self, key: str, zone_name: str) -> privatedns.PrivateZone:
        return self.link_zone(f"{self._logical}-dns-{key}", key, zone_name, parent=self)

    def link_zone(
        self, logical: str, key: str, zone_name: pulumi.Input[str], parent: pulumi.Resource
    ) -> privatedns.PrivateZone:
        """A private DNS zone linked to this VNet; ``parent`` owns it (another component may,
        e.g. for the Container Apps environment's domain)."""
        args = self._args
        zone = privatedns.PrivateZone(
            logical,
            private_zone_name=zone_name,
            resource_group_name=args.resource_group_name,
            location="global",
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=parent),
        )
        privatedns.VirtualNetworkLink(
            f"{logical}-link",
            virtual_network_link_name=f"link-{key}",
            private_zone_name=zone.name,
            resource_group_name=args.resource_group_name,
            location="global",
            registration_enabled=False,
            virtual_network=privatedns.SubResourceArgs(id=self.vnet.id),
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=parent),
        )
        return zone

    def private_endpoint(
        self,
        name: str,
        *,
        target_id: pulumi.Input[str],
        group_id: str,
        parent: pulumi.Resource,
    ) -> network.PrivateEndpoint:
        """A private endpoint for ``target_id`` in the endpoint subnet, registered in the zone
        of its Private Link group (``blob``, ``vault`` ...)."""
        args = self._args
        endpoint = network.PrivateEndpoint(
            f"{name}-pe-{group_id}",
            private_endpoint_name=f"pe-{name}-{group_id}",
            resource_group_name=args.resource_group_name,
            location=args.location,
            subnet=network.SubnetArgs(id=self.subnets["private-endpoints"].id),
            private_link_service_connections=[
                network.PrivateLinkServiceConnectionArgs(
                    name=f"{name}-{group_id}",
                    private_link_service_id=target_id,
                    group_ids=[group_id],
                )
            ],
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=parent),
        )
        network.PrivateDnsZoneGroup(
            f"{name}-pe-{group_id}-dns",
            private_dns_zone_group_name="default",
            private_endpoint_name=endpoint.name,
            resource_group_name=args.resource_group_name,
            private_dns_zone_configs=[
                network.PrivateDnsZoneConfigArgs(
                    name=group_id, private_dns_zone_id=self.zones[group_id].id
                )
            ],
            opts=pulumi.ResourceOptions(parent=parent),
        )
        return endpoint
