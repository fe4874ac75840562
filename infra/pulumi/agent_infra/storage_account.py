"""A storage account with no public endpoint and no shared keys, reached by private endpoints."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
from pulumi_azure_native import storage

from agent_infra.network import Network


@dataclass(frozen=True)
class StorageArgs:
    resource_group_name: pulumi.Input[str]
    location: str
    account_name: str
    network: Network
    tags: dict[str, str]
    services: Sequence[str] = ("blob",)  # Private Link groups that get an endpoint
    containers: Sequence[str] = ()
    system_identity: bool = False  # needed to use customer-managed keys (encryption scopes)
    nfs_shares: Sequence[tuple[str, int]] = ()  # (name, GiB): makes a premium NFS account


class PrivateStorage(pulumi.ComponentResource):
    """Shared-key access off (identities only), TLS 1.2, public network access disabled.

    An NFS account (``nfs_shares``) is a premium FileStorage account: NFS 4.1 has no
    encryption in transit, so Azure requires secure transfer to be off for it; its data path is
    then only the private endpoint inside the VNet.
    """

    def __init__(self, name: str, args: StorageArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("aica:platform:PrivateStorage", name, None, opts)
        nfs = bool(args.nfs_shares)
        self.account = storage.StorageAccount(
            f"{name}-account",
            account_name=args.account_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            kind="FileStorage" if nfs else "StorageV2",
            # The model cache can be pulled again: locally redundant premium is enough for it.
            sku=storage.SkuArgs(name="Premium_LRS" if nfs else "Standard_ZRS"),
            allow_shared_key_access=False,
            allow_blob_public_access=False,
            allow_cross_tenant_replication=False,
            default_to_o_auth_authentication=True,
            minimum_tls_version="TLS1_2",
            enable_https_traffic_only=not nfs,
            public_network_access="Disabled",
            network_rule_set=storage.NetworkRuleSetArgs(
                default_action="Deny", bypass="AzureServices"
            ),
            identity=storage.IdentityArgs(type="SystemAssigned") if args.system_identity else None,
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        for group in args.services:
            args.network.private_endpoint(
                name, target_id=self.account.id, group_id=group, parent=self
            )
        self.containers = {
            container: storage.BlobContainer(
                f"{name}-{container}",
                container_name=container,
                account_name=self.account.name,
                resource_group_name=args.resource_group_name,
                public_access="None",
                opts=pulumi.ResourceOptions(parent=self),
            )
            for container in args.containers
        }
        self.shares = {
            share: storage.FileShare(
                f"{name}-{share}",
                share_name=share,
                account_name=self.account.name,
                resource_group_name=args.resource_group_name,
                enabled_protocols="NFS",
                root_squash="NoRootSquash",
                share_quota=quota,
                opts=pulumi.ResourceOptions(parent=self),
            )
            for share, quota in args.nfs_shares
        }
        self.blob_endpoint = self.account.primary_endpoints.apply(lambda e: e.blob)
        self.principal_id = (
            self.account.identity.apply(lambda i: i.principal_id) if args.system_identity else None
        )
        self.register_outputs({"account_name": self.account.name})
