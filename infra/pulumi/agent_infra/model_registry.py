"""The model registry: an MLflow tracking server as a Container App, Entra ID in front.

- Backend store: database ``mlflow`` on the platform's PostgreSQL server (Entra ID only, so the
  server's identity logs in with a token it fetches from its managed identity at start; the
  role is SQL: ``pgaadauth_create_principal`` for the identity, like the app's).
- Artifacts: a private Blob container, proxied by the server (``--serve-artifacts``): the app
  needs no storage rights of its own; the server's identity is Storage Blob Data Contributor
  on that account only.
- In front: Container Apps authentication with Entra ID; unauthenticated calls get 401. The app
  sends its managed identity's token for the registry's own app registration (declared here:
  ``api://<client id>``, ``MLFLOW_TRACKING_SCOPE``, refreshed before it expires). That
  registration is not the admin API's: a console user's token must not open the registry. It
  lives in the operators' directory only, and its service principal requires an app role
  assignment, which only the Function App's identity holds (``grant``): Entra issues no token
  for it to anyone else. Ingress is VNet-wide on the internal environment, narrowed to the
  Function App's subnet (see ``gpu``).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_azuread as azuread
from pulumi_azure_native import app
from pulumi_azure_native import dbforpostgresql as pg

from agent_infra.access import grant
from agent_infra.entra import identifier_uri, stable_id
from agent_infra.image_puller import function_subnet_ingress, image_puller
from agent_infra.naming import Naming
from agent_infra.network import Network
from agent_infra.settings import ModelRegistrySettings
from agent_infra.storage_account import PrivateStorage, StorageArgs

MLFLOW_PORT = 5000
MLFLOW_DATABASE = "mlflow"
ARTIFACT_CONTAINER = "mlflow"
POSTGRES_SCOPE = "https://ossrdbms-aad.database.windows.net"
BLOB_DATA_CONTRIBUTOR = "Storage Blob Data Contributor"
#: The application permission the Function App's identity holds on the registry.
TRACKING_ROLE = "ModelRegistry.ReadWrite"

# Fetches a PostgreSQL token from the Container App's managed identity, then starts MLflow with
# it as the password (no password exists anywhere). A token lives up to 24 h; the server's
# liveness probe restarts the replica when its connections can no longer be renewed.
_START = f"""set -e
export PGPASSWORD="$(python -c '
import json, os, urllib.request
query = "?api-version=2019-08-01&resource={POSTGRES_SCOPE}&client_id="
url = os.environ["IDENTITY_ENDPOINT"] + query + os.environ["AZURE_CLIENT_ID"]
req = urllib.request.Request(url, headers={{"X-IDENTITY-HEADER": os.environ["IDENTITY_HEADER"]}})
print(json.load(urllib.request.urlopen(req))["access_token"])')"
exec mlflow server --host 0.0.0.0 --port {MLFLOW_PORT} \\
  --backend-store-uri "postgresql+psycopg://$PGUSER@$PGHOST/{MLFLOW_DATABASE}?sslmode=require" \\
  --serve-artifacts --artifacts-destination "$ARTIFACTS"
"""


@dataclass(frozen=True)
class ModelRegistryArgs:
    resource_group_name: pulumi.Input[str]
    location: str
    naming: Naming
    settings: ModelRegistrySettings
    network: Network
    environment_id: pulumi.Input[str]
    environment_domain: pulumi.Input[str]
    postgres_server_name: pulumi.Input[str]
    postgres_host: pulumi.Input[str]
    allowed_source_cidr: str
    tenant_id: pulumi.Input[str]
    subscription_id: pulumi.Input[str]
    owner_object_id: pulumi.Input[str]  # the deploying principal keeps managing the registration
    tags: dict[str, str]


class ModelRegistryServer(pulumi.ComponentResource):
    """``url`` is what the app reads as MLFLOW_TRACKING_URI."""

    def __init__(
        self, name: str, args: ModelRegistryArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("aica:platform:ModelRegistry", name, None, opts)
        s = args.settings
        child = pulumi.ResourceOptions(parent=self)
        self._register_app(name, args)
        self.database = pg.Database(
            f"{name}-db",
            database_name=MLFLOW_DATABASE,
            server_name=args.postgres_server_name,
            resource_group_name=args.resource_group_name,
            charset="UTF8",
            collation="en_US.utf8",
            opts=pulumi.ResourceOptions(parent=self, protect=True),
        )
        self.artifacts = PrivateStorage(
            f"{name}-artifacts",
            StorageArgs(
                resource_group_name=args.resource_group_name,
                location=args.location,
                account_name=args.naming.storage_account("mlf"),
                network=args.network,
                tags=args.tags,
                services=("blob",),
                containers=(ARTIFACT_CONTAINER,),
            ),
            opts=child,
        )
        identity_name = args.naming.regional("id-mlflow")
        puller = image_puller(
            name,
            identity_name=identity_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            tags=args.tags,
            registry_resource_id=s.registry_resource_id,
            subscription_id=args.subscription_id,
            parent=self,
        )
        identity = puller.identity
        blob_grant = grant(
            f"{name}-blob-data",
            role=BLOB_DATA_CONTRIBUTOR,
            principal_id=identity.principal_id,
            scope=self.artifacts.account.id,
            subscription_id=args.subscription_id,
            parent=self,
        )
        pulls: list[pulumi.Resource] = [blob_grant, self.database, *puller.grants]
        self.app_name = args.naming.regional("mlflow")
        destination = pulumi.Output.concat(
            "wasbs://", ARTIFACT_CONTAINER, "@", self.artifacts.account.name,
            ".blob.core.windows.net/",
        )  # fmt: skip
        self.app = app.ContainerApp(
            f"{name}-server",
            container_app_name=self.app_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            managed_environment_id=args.environment_id,
            workload_profile_name="Consumption",
            identity=puller.app_identity(),
            configuration=app.ConfigurationArgs(
                active_revisions_mode="Single",
                ingress=function_subnet_ingress(MLFLOW_PORT, args.allowed_source_cidr),
                registries=puller.registries(s.registry_server),
            ),
            template=app.TemplateArgs(
                containers=[
                    app.ContainerArgs(
                        name="mlflow",
                        image=s.image,
                        command=["/bin/sh", "-c", _START],
                        resources=app.ContainerResourcesArgs(cpu=s.cpu, memory=s.memory),
                        env=[
                            app.EnvironmentVarArgs(name="PGHOST", value=args.postgres_host),
                            app.EnvironmentVarArgs(name="PGUSER", value=identity_name),
                            app.EnvironmentVarArgs(
                                name="AZURE_CLIENT_ID", value=identity.client_id
                            ),
                            app.EnvironmentVarArgs(name="ARTIFACTS", value=destination),
                        ],
                        probes=[
                            app.ContainerAppProbeArgs(
                                type="Liveness",
                                http_get=app.ContainerAppProbeHttpGetArgs(
                                    path="/health", port=MLFLOW_PORT
                                ),
                                period_seconds=30,
                                failure_threshold=3,
                            )
                        ],
                    )
                ],
                scale=app.ScaleArgs(min_replicas=1, max_replicas=s.max_replicas),
            ),
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=pulls),
        )
        # Entra ID in front: every request needs a token issued for the registry's app
        # registration; anything else is answered 401 before it reaches MLflow.
        self.auth = app.ContainerAppsAuthConfig(
            f"{name}-auth",
            auth_config_name="current",
            container_app_name=self.app.name,
            resource_group_name=args.resource_group_name,
            platform=app.AuthPlatformArgs(enabled=True),
            global_validation=app.GlobalValidationArgs(unauthenticated_client_action="Return401"),
            identity_providers=app.IdentityProvidersArgs(
                azure_active_directory=app.AzureActiveDirectoryArgs(
                    enabled=True,
                    registration=app.AzureActiveDirectoryRegistrationArgs(
                        client_id=self.registration.client_id,
                        open_id_issuer=pulumi.Output.concat(
                            "https://login.microsoftonline.com/", args.tenant_id, "/v2.0"
                        ),
                    ),
                    validation=app.AzureActiveDirectoryValidationArgs(
                        allowed_audiences=[self.registration.client_id, self.uri.identifier_uri]
                    ),
                )
            ),
            opts=child,
        )
        self.url = pulumi.Output.concat("https://", self.app_name, ".", args.environment_domain)
        self.register_outputs({"url": self.url, "scope": self.scope})

    def _register_app(self, name: str, args: ModelRegistryArgs) -> None:
        """The registry's app registration: single-directory, v2 tokens, one application
        role; ``scope`` is what the app asks tokens for."""
        self.registration = azuread.Application(
            f"{name}-entra",
            display_name=args.naming.global_name("mlflow"),
            sign_in_audience="AzureADMyOrg",
            owners=[args.owner_object_id],
            api=azuread.ApplicationApiArgs(requested_access_token_version=2),
            app_roles=[
                azuread.ApplicationAppRoleArgs(
                    id=stable_id("app-role", TRACKING_ROLE),
                    value=TRACKING_ROLE,
                    display_name=TRACKING_ROLE,
                    description="Read and write the model registry (the platform's app only).",
                    allowed_member_types=["Application"],
                    enabled=True,
                )
            ],
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["identifierUris"]),
        )
        self.uri = azuread.ApplicationIdentifierUri(
            f"{name}-entra-uri",
            application_id=self.registration.id,
            identifier_uri=identifier_uri(self.registration.client_id),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.principal = azuread.ServicePrincipal(
            f"{name}-entra-sp",
            client_id=self.registration.client_id,
            app_role_assignment_required=True,
            owners=[args.owner_object_id],
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.scope = pulumi.Output.concat(self.uri.identifier_uri, "/.default")

    def grant(self, principal_id: pulumi.Input[str]) -> azuread.AppRoleAssignment:
        """Let ``principal_id`` (the Function App's identity) get tokens for the registry."""
        return azuread.AppRoleAssignment(
            f"{self._name}-entra-app",
            app_role_id=stable_id("app-role", TRACKING_ROLE),
            principal_object_id=principal_id,
            resource_object_id=self.principal.object_id,
            opts=pulumi.ResourceOptions(parent=self),
        )
