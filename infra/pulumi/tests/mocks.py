"""Pulumi mocks for azure-native: plausible provider-computed outputs, strict about the unknown.

Every resource type the program may register is listed in ``RESOURCE_TYPES`` with the input that
carries its Azure name and the outputs Azure would compute. An unlisted type or invoke raises, so a
new resource cannot slip through the tests with silently empty outputs.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockMonitor
from pulumi_policy.deserialize import deserialize_properties

SUBSCRIPTION_ID = "00000000-0000-0000-0000-00000000cafe"
TENANT_ID = "00000000-0000-0000-0000-00000000beef"
CLIENT_CONFIG = {
    "clientId": "00000000-0000-0000-0000-0000000c11e7",
    "objectId": "00000000-0000-0000-0000-0000000d0e55",
    "subscriptionId": SUBSCRIPTION_ID,
    "tenantId": TENANT_ID,
}


def _guid(*parts: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "/".join(parts)))


def _identity(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    identity = inputs.get("identity")
    if not identity:
        return {}
    return {
        "identity": {**identity, "principalId": _guid("principal", name), "tenantId": TENANT_ID}
    }


def _storage(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    endpoints = {
        s: f"https://{name}.{s}.core.windows.net/"
        for s in ("blob", "queue", "table", "file", "dfs")
    }
    return {"primaryEndpoints": endpoints, **_identity(name, inputs)}


Computed = Callable[[str, dict[str, Any]], dict[str, Any]]


def _none(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {}


# type token -> (input holding the Azure name, provider-computed outputs)
RESOURCE_TYPES: dict[str, tuple[str, Computed]] = {
    "azure-native:resources:ResourceGroup": ("resourceGroupName", _none),
    "azure-native:network:VirtualNetwork": ("virtualNetworkName", _none),
    "azure-native:network:Subnet": ("subnetName", _none),
    "azure-native:network:PrivateEndpoint": ("privateEndpointName", _none),
    "azure-native:network:PrivateDnsZoneGroup": ("privateDnsZoneGroupName", _none),
    "azure-native:privatedns:PrivateZone": ("privateZoneName", _none),
    "azure-native:privatedns:VirtualNetworkLink": ("virtualNetworkLinkName", _none),
    "azure-native:privatedns:PrivateRecordSet": ("relativeRecordSetName", _none),
    "azure-native:dbforpostgresql:Server": (
        "serverName",
        lambda n, i: {
            "fullyQualifiedDomainName": f"{n}.postgres.database.azure.com",
            "state": "Ready",
        },
    ),
    "azure-native:dbforpostgresql:Database": ("databaseName", _none),
    "azure-native:dbforpostgresql:Configuration": ("configurationName", _none),
    "azure-native:dbforpostgresql:Administrator": ("objectId", _none),
    "azure-native:storage:StorageAccount": ("accountName", _storage),
    "azure-native:storage:BlobContainer": ("containerName", _none),
    "azure-native:storage:FileShare": ("shareName", _none),
    "azure-native:storage:EncryptionScope": ("encryptionScopeName", _none),
    "azure-native:web:AppServicePlan": ("name", _none),
    "azure-native:web:StaticSite": (
        "name",
        lambda n, i: {"defaultHostname": f"{n.replace('-', '')}-1a2b3c.5.azurestaticapps.net"},
    ),
    "azure-native:web:WebApp": (
        "name",
        lambda n, i: {"defaultHostName": f"{n}.azurewebsites.net", **_identity(n, i)},
    ),
    "azure-native:operationalinsights:Workspace": (
        "workspaceName",
        lambda n, i: {"customerId": _guid("workspace", n)},
    ),
    "azure-native:applicationinsights:Component": (
        "resourceName",
        lambda n, i: {
            "connectionString": f"InstrumentationKey={_guid('ikey', n)};IngestionEndpoint=https://{i['location']}.in.applicationinsights.azure.com/",
            "instrumentationKey": _guid("ikey", n),
        },
    ),
    "azure-native:applicationinsights:WebTest": ("webTestName", _none),
    "azure-native:applicationinsights:Workbook": ("resourceName", _none),
    "azure-native:keyvault:Vault": (
        "vaultName",
        lambda n, i: {
            "properties": {**i["properties"], "vaultUri": f"https://{n}.vault.azure.net/"}
        },
    ),
    "azure-native:keyvault:Key": (
        "keyName",
        lambda n, i: {
            "keyUri": f"https://{i['vaultName']}.vault.azure.net/keys/{n}",
            "keyUriWithVersion": f"https://{i['vaultName']}.vault.azure.net/keys/{n}/0123abcd",
        },
    ),
    "azure-native:keyvault:Secret": (
        "secretName",
        lambda n, i: {
            "properties": {
                **i["properties"],
                "secretUri": f"https://{i['vaultName']}.vault.azure.net/secrets/{n}",
            }
        },
    ),
    "azure-native:authorization:RoleAssignment": ("roleAssignmentName", _none),
    "azure-native:managedidentity:UserAssignedIdentity": (
        "resourceName",
        lambda n, i: {"principalId": _guid("principal", n), "clientId": _guid("client", n)},
    ),
    "azure-native:app:ManagedEnvironment": (
        "environmentName",
        lambda n, i: {
            "defaultDomain": f"{n}.swedencentral.azurecontainerapps.io",
            "staticIp": "10.40.4.250",
        },
    ),
    "azure-native:app:ManagedEnvironmentsStorage": ("storageName", _none),
    "azure-native:app:ContainerApp": ("containerAppName", _none),
    "azure-native:app:ContainerAppsAuthConfig": ("authConfigName", _none),
    "azure-native:app:ContainerAppsSessionPool": (
        "sessionPoolName",
        lambda n, i: {"poolManagementEndpoint": f"https://{n}.swedencentral.dynamicsessions.io"},
    ),
    "azure-native:monitor:ActionGroup": ("actionGroupName", _none),
    "azure-native:monitor:ScheduledQueryRule": ("ruleName", _none),
    "azure-native:monitor:DiagnosticSetting": ("name", _none),
    "azure-native:durabletask:Scheduler": (
        "schedulerName",
        lambda n, i: {
            "properties": {
                **i["properties"],
                "endpoint": f"https://{n}.{i['location']}.durabletask.io",
            }
        },
    ),
    "azure-native:durabletask:TaskHub": ("taskHubName", _none),
}


def _application(name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    object_id = _guid("application", name)
    scopes = (inputs.get("api") or {}).get("oauth2PermissionScopes") or []
    return f"/applications/{object_id}", {
        "objectId": object_id,
        "clientId": _guid("client", name),
        "oauth2PermissionScopeIds": {s["value"]: s["id"] for s in scopes},
        "appRoleIds": {r["value"]: r["id"] for r in inputs.get("appRoles") or []},
    }


def _service_principal(name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    object_id = _guid("service-principal", inputs["clientId"])
    return f"/servicePrincipals/{object_id}", {"objectId": object_id}


def _application_part(name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    return f"{inputs['applicationId']}/{name}", {}


def _app_role_assignment(name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    return f"/servicePrincipals/{inputs['resourceObjectId']}/appRoleAssignedTo/{name}", {}


# azuread (Microsoft Graph) types -> (id, computed outputs); ids are Graph paths, not ARM ids.
AZUREAD_TYPES: dict[str, Callable[[str, dict[str, Any]], tuple[str, dict[str, Any]]]] = {
    "azuread:index/application:Application": _application,
    "azuread:index/servicePrincipal:ServicePrincipal": _service_principal,
    "azuread:index/applicationIdentifierUri:ApplicationIdentifierUri": _application_part,
    "azuread:index/applicationPreAuthorized:ApplicationPreAuthorized": _application_part,
    "azuread:index/appRoleAssignment:AppRoleAssignment": _app_role_assignment,
}


class AzureMocks(pulumi.runtime.Mocks):
    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict]:
        if args.typ.startswith("azuread:"):
            if args.typ not in AZUREAD_TYPES:
                raise NotImplementedError(f"no mock outputs for {args.typ}: add to AZUREAD_TYPES")
            resource_id, computed = AZUREAD_TYPES[args.typ](
                args.name, deserialize_properties(args.inputs)
            )
            return resource_id, {**args.inputs, "id": resource_id, **computed}
        if not args.typ.startswith("azure-native:"):
            return None, {}  # our own ComponentResources
        if args.typ not in RESOURCE_TYPES:
            raise NotImplementedError(f"no mock outputs for {args.typ}: add it to RESOURCE_TYPES")
        name_key, computed = RESOURCE_TYPES[args.typ]
        inputs = deserialize_properties(args.inputs)  # secrets unwrapped
        name = inputs.get(name_key) or args.name
        rg = inputs.get("resourceGroupName", "rg")
        module, kind = args.typ.split(":")[1:]
        provider = f"providers/mock.{module}/{kind}/{name}"
        resource_id = f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{rg}/{provider}"
        outputs = {**args.inputs, "name": name, "id": resource_id, **computed(name, inputs)}
        identity = outputs.get("identity")
        if isinstance(identity, dict) and isinstance(identity.get("userAssignedIdentities"), list):
            # Inputs list the identities' ids; Azure answers with a map id -> identity.
            outputs["identity"] = {
                **identity,
                "userAssignedIdentities": {
                    uai: {"principalId": _guid("principal", uai), "clientId": _guid("client", uai)}
                    for uai in identity["userAssignedIdentities"]
                },
            }
        return resource_id, outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict:
        if args.token == "azure-native:authorization:getClientConfig":
            return CLIENT_CONFIG
        raise NotImplementedError(f"unexpected invoke {args.token}")


@dataclass(frozen=True)
class Registration:
    """One resource as the engine saw it: inputs are the wire-format (camelCase) properties."""

    urn: str
    type: str
    name: str
    parent: str
    id: str | None
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    protect: bool
    retain_on_delete: bool
    ignore_changes: tuple[str, ...]
    dependencies: tuple[str, ...]


class RecordingMonitor(MockMonitor):
    """Keeps every registration with the options the plain mock monitor drops (protect ...)."""

    def __init__(self, mocks: pulumi.runtime.Mocks):
        super().__init__(mocks)
        self.registrations: list[Registration] = []
        self._lock = threading.Lock()

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            state = self.resources[response.urn]
            registration = Registration(
                urn=response.urn,
                type=request.type,
                name=request.name,
                parent=request.parent,
                id=state.id,
                inputs=deserialize_properties(rpc.deserialize_properties(request.object)),
                outputs=deserialize_properties(dict(state.state or {})),
                protect=bool(request.protect),
                retain_on_delete=bool(request.retainOnDelete),
                ignore_changes=tuple(request.ignoreChanges),
                dependencies=tuple(request.dependencies),
            )
            with self._lock:
                self.registrations.append(registration)
        return response
