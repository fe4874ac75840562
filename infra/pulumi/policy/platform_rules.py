"""Guardrails for the platform, as pulumi-policy resource validations.

The rules live here, apart from ``__main__.py`` (which only builds the PolicyPack), so that tests
import them without starting the analyzer's gRPC server. Each rule reads the resource's inputs in
the engine's wire format (camelCase) and reports every violation it finds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from entra_rules import ENTRA_POLICIES
from pulumi_policy import (
    EnforcementLevel,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationPolicy,
)

REQUIRED_TAGS = ("app", "environment", "owner", "managed-by")

STORAGE_ACCOUNT = "azure-native:storage:StorageAccount"
POSTGRES_SERVER = "azure-native:dbforpostgresql:Server"
POSTGRES_PARAMETER = "azure-native:dbforpostgresql:Configuration"
KEY_VAULT = "azure-native:keyvault:Vault"
DURABLE_TASK_SCHEDULER = "azure-native:durabletask:Scheduler"
WEB_APP = "azure-native:web:WebApp"
STATIC_SITE = "azure-native:web:StaticSite"
CONTAINER_APP = "azure-native:app:ContainerApp"
CONTAINER_APP_ENVIRONMENT = "azure-native:app:ManagedEnvironment"
ENVIRONMENT_STORAGE = "azure-native:app:ManagedEnvironmentsStorage"
SESSION_POOL = "azure-native:app:ContainerAppsSessionPool"

# Tracked Azure resources: they carry tags and must carry ours.
TAGGED_TYPES = frozenset(
    {
        "azure-native:resources:ResourceGroup",
        "azure-native:network:VirtualNetwork",
        "azure-native:network:PrivateEndpoint",
        "azure-native:privatedns:PrivateZone",
        "azure-native:privatedns:VirtualNetworkLink",
        POSTGRES_SERVER,
        STORAGE_ACCOUNT,
        KEY_VAULT,
        "azure-native:keyvault:Key",
        "azure-native:keyvault:Secret",
        "azure-native:operationalinsights:Workspace",
        "azure-native:applicationinsights:Component",
        "azure-native:applicationinsights:WebTest",
        "azure-native:applicationinsights:Workbook",
        "azure-native:web:AppServicePlan",
        WEB_APP,
        STATIC_SITE,
        CONTAINER_APP_ENVIRONMENT,
        CONTAINER_APP,
        SESSION_POOL,
        "azure-native:managedidentity:UserAssignedIdentity",
        "azure-native:monitor:ActionGroup",
        "azure-native:monitor:ScheduledQueryRule",
        DURABLE_TASK_SCHEDULER,
    }
)
# Child or extension resources that Azure does not tag.
UNTAGGED_TYPES = frozenset(
    {
        "azure-native:network:Subnet",
        "azure-native:network:PrivateDnsZoneGroup",
        "azure-native:privatedns:PrivateRecordSet",
        "azure-native:dbforpostgresql:Database",
        POSTGRES_PARAMETER,
        "azure-native:dbforpostgresql:Administrator",
        "azure-native:storage:BlobContainer",
        "azure-native:storage:FileShare",
        "azure-native:storage:EncryptionScope",
        "azure-native:authorization:RoleAssignment",
        ENVIRONMENT_STORAGE,
        "azure-native:app:ContainerAppsAuthConfig",
        "azure-native:monitor:DiagnosticSetting",
        "azure-native:durabletask:TaskHub",
    }
)

Report = Callable[..., None]


def _get(props: Mapping[str, Any], path: str) -> Any:
    value: Any = props
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _is(value: Any, expected: str) -> bool:
    return isinstance(value, str) and value.lower() == expected.lower()


def _require(report: Report, ok: bool, message: str) -> None:
    if not ok:
        report(message)


def no_public_data_access(args: ResourceValidationArgs, report: Report) -> None:
    p, t = args.props, args.resource_type
    if t == STORAGE_ACCOUNT:
        _require(
            report,
            _is(p.get("publicNetworkAccess"), "Disabled"),
            f"{args.name}: storage publicNetworkAccess must be Disabled",
        )
        _require(
            report,
            p.get("allowBlobPublicAccess") is False,
            f"{args.name}: allowBlobPublicAccess must be false",
        )
        _require(
            report,
            _is(_get(p, "networkRuleSet.defaultAction"), "Deny"),
            f"{args.name}: the storage firewall must deny by default",
        )
    elif t == POSTGRES_SERVER:
        _require(
            report,
            _is(_get(p, "network.publicNetworkAccess"), "Disabled"),
            f"{args.name}: PostgreSQL publicNetworkAccess must be Disabled",
        )
        _require(
            report,
            bool(_get(p, "network.delegatedSubnetResourceId")),
            f"{args.name}: PostgreSQL must be injected into a delegated subnet",
        )
    elif t == KEY_VAULT:
        _require(
            report,
            _is(_get(p, "properties.publicNetworkAccess"), "Disabled"),
            f"{args.name}: Key Vault publicNetworkAccess must be Disabled",
        )
        _require(
            report,
            _is(_get(p, "properties.networkAcls.defaultAction"), "Deny"),
            f"{args.name}: the Key Vault firewall must deny by default",
        )
    elif t == DURABLE_TASK_SCHEDULER:
        _require(
            report,
            _is(_get(p, "properties.publicNetworkAccess"), "Disabled"),
            f"{args.name}: Durable Task Scheduler publicNetworkAccess must be Disabled",
        )


def private_inference(args: ResourceValidationArgs, report: Report) -> None:
    p, t = args.props, args.resource_type
    if t == CONTAINER_APP_ENVIRONMENT:
        _require(
            report,
            _get(p, "vnetConfiguration.internal") is True,
            f"{args.name}: the Container Apps environment must be VNet-internal",
        )
    elif t == CONTAINER_APP:
        rules = _get(p, "configuration.ingress.ipSecurityRestrictions") or []
        allows = [r for r in rules if _is(r.get("action"), "Allow")]
        _require(
            report,
            bool(allows) and all(r.get("ipAddressRange") for r in allows),
            f"{args.name}: ingress must allow-list its callers' subnets",
        )


def sandbox_without_egress(args: ResourceValidationArgs, report: Report) -> None:
    if args.resource_type == SESSION_POOL:
        _require(
            report,
            _is(_get(args.props, "sessionNetworkConfiguration.status"), "EgressDisabled"),
            f"{args.name}: sandbox sessions run untrusted code and must have egress disabled",
        )


def tls_1_2_minimum(args: ResourceValidationArgs, report: Report) -> None:
    p, t = args.props, args.resource_type
    if t == STORAGE_ACCOUNT:
        _require(
            report,
            p.get("minimumTlsVersion") in ("TLS1_2", "TLS1_3"),
            f"{args.name}: minimumTlsVersion must be TLS1_2 or newer",
        )
        # NFS shares cannot use TLS; Azure requires secure transfer off on NFS accounts only.
        nfs_account = p.get("kind") == "FileStorage"
        _require(
            report,
            p.get("enableHttpsTrafficOnly") is not False or nfs_account,
            f"{args.name}: enableHttpsTrafficOnly must stay true",
        )
    elif t == WEB_APP:
        _require(report, p.get("httpsOnly") is True, f"{args.name}: httpsOnly must be true")
        for key in ("minTlsVersion", "scmMinTlsVersion"):
            _require(
                report,
                _get(p, f"siteConfig.{key}") in ("1.2", "1.3"),
                f"{args.name}: siteConfig.{key} must be 1.2 or newer",
            )
    elif t == POSTGRES_PARAMETER:
        name, value = p.get("configurationName"), str(p.get("value", ""))
        if name == "ssl_min_protocol_version":
            _require(
                report,
                value in ("TLSv1.2", "TLSv1.3"),
                f"{args.name}: ssl_min_protocol_version must be TLSv1.2 or newer",
            )
        elif name == "require_secure_transport":
            _require(
                report, value.lower() == "on", f"{args.name}: require_secure_transport must be on"
            )
    elif t == CONTAINER_APP:
        _require(
            report,
            _get(p, "configuration.ingress.allowInsecure") is not True,
            f"{args.name}: ingress must not allow plain HTTP",
        )


def shared_key_access_off(args: ResourceValidationArgs, report: Report) -> None:
    p, t = args.props, args.resource_type
    if t == STORAGE_ACCOUNT:
        # Azure's default is on: the property must be set to false explicitly.
        _require(
            report,
            p.get("allowSharedKeyAccess") is False,
            f"{args.name}: allowSharedKeyAccess must be false",
        )
    elif t == ENVIRONMENT_STORAGE:
        _require(
            report,
            not _get(p, "properties.azureFile.accountKey"),
            f"{args.name}: mount storage by identity or NFS, not with an account key",
        )


def key_vault_purge_protection(args: ResourceValidationArgs, report: Report) -> None:
    if args.resource_type != KEY_VAULT:
        return
    p = args.props
    _require(
        report,
        _get(p, "properties.enablePurgeProtection") is True,
        f"{args.name}: enablePurgeProtection must be true",
    )
    _require(
        report,
        _get(p, "properties.enableSoftDelete") is not False,
        f"{args.name}: soft delete must stay enabled",
    )
    _require(
        report,
        _get(p, "properties.enableRbacAuthorization") is True,
        f"{args.name}: the vault must use Azure RBAC, not access policies",
    )


def browser_origins_exact(args: ResourceValidationArgs, report: Report) -> None:
    """The API admits named https origins only (no wildcard, no cookies), and the console has
    no preview environments (public origins of unreviewed builds)."""
    if args.resource_type == WEB_APP:
        cors = _get(args.props, "siteConfig.cors") or {}
        origins = cors.get("allowedOrigins") or []
        loose = [o for o in origins if not (isinstance(o, str) and o.startswith("https://"))]
        loose += [o for o in origins if isinstance(o, str) and "*" in o]
        _require(report, not loose, f"{args.name}: CORS must name https origins, got {loose}")
        _require(
            report,
            cors.get("supportCredentials") is not True,
            f"{args.name}: CORS must not allow credentials (tokens are bearer headers)",
        )
    elif args.resource_type == STATIC_SITE:
        _require(
            report,
            _is(args.props.get("stagingEnvironmentPolicy"), "Disabled"),
            f"{args.name}: preview environments must be disabled",
        )


def required_tags(args: ResourceValidationArgs, report: Report) -> None:
    if args.resource_type not in TAGGED_TYPES:
        return
    tags = args.props.get("tags") or {}
    missing = [key for key in REQUIRED_TAGS if not tags.get(key)]
    _require(report, not missing, f"{args.name}: missing tags {missing}")


def _policy(name: str, description: str, validate: Callable[..., None]) -> ResourceValidationPolicy:
    return ResourceValidationPolicy(
        name=name,
        description=description,
        validate=validate,
        enforcement_level=EnforcementLevel.MANDATORY,
    )


POLICIES: list[ResourceValidationPolicy | StackValidationPolicy] = [
    _policy(
        "no-public-data-access",
        "Data services are reachable only privately.",
        no_public_data_access,
    ),
    _policy(
        "private-inference",
        "GPU inference is reachable only from the platform's VNet.",
        private_inference,
    ),
    _policy(
        "sandbox-without-egress",
        "Sessions that run repository code reach no network.",
        sandbox_without_egress,
    ),
    _policy("tls-1-2-minimum", "Every endpoint requires TLS 1.2 or newer.", tls_1_2_minimum),
    _policy(
        "shared-key-access-off",
        "Storage is accessed by identity, never by account key.",
        shared_key_access_off,
    ),
    _policy(
        "key-vault-purge-protection",
        "Key Vaults keep soft delete and purge protection.",
        key_vault_purge_protection,
    ),
    _policy(
        "browser-origins-exact",
        "Browsers reach the API only from the console's own origin.",
        browser_origins_exact,
    ),
    _policy(
        "required-tags", f"Taggable resources carry the tags {list(REQUIRED_TAGS)}.", required_tags
    ),
    *ENTRA_POLICIES,
]
