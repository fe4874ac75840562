"""The composition root: the one place where adapters are chosen and wired.

Triggers and activities call ``container()`` and use the services it builds; nothing else reads
settings or constructs adapters. Everything is built lazily on first use (construction does no
I/O, and heavy SDKs load only inside their adapters), so ``import function_app`` stays fast.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import cache, cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from psycopg.conninfo import conninfo_to_dict

from shared.adapters.llm.call_log import PostgresLlmCallLog
from shared.adapters.llm.postgres import PostgresCircuitStore, PostgresUsageLedger
from shared.adapters.llm.providers import ConfiguredLlmProviders
from shared.adapters.registry.mlflow import MlflowModelRegistry
from shared.adapters.registry.store import ensure_registry_database
from shared.adapters.scm import ScmFactory
from shared.adapters.scm.egress import EgressPolicy, parse_allowed_hosts
from shared.adapters.scm.git_checkout import GitCheckout, clone_source
from shared.adapters.store.postgres.admin import (
    PostgresAdminReads,
    PostgresRoleAssignments,
    PostgresTaskSlots,
)
from shared.adapters.store.postgres.approvals import PostgresApprovalStore
from shared.adapters.store.postgres.audit import PostgresAuditLog
from shared.adapters.store.postgres.code_vectors import PostgresCodeVectors
from shared.adapters.store.postgres.connections import PostgresConnectionDirectory
from shared.adapters.store.postgres.database import Database, PoolLimits
from shared.adapters.store.postgres.entra import EntraTokenPassword, managed_identity_credential
from shared.adapters.store.postgres.intake import PostgresIntakeLedger
from shared.adapters.store.postgres.platform_admin import PostgresConnectionList, PostgresQuotas
from shared.adapters.store.postgres.promotions import PostgresPromotionLog
from shared.adapters.store.postgres.reconcile import PostgresReconcileLedger
from shared.adapters.store.postgres.repo_index import PostgresRepoIndexStore, server_has_pgvector
from shared.adapters.store.postgres.retention import PostgresRetentionStore
from shared.adapters.store.postgres.roles import ensure_entra_login
from shared.adapters.store.postgres.task_store import PostgresTaskStore
from shared.adapters.store.postgres.tenants import PostgresTenantDirectory
from shared.adapters.store.postgres.trigger_access import PostgresTriggerAccess
from shared.auth.entra import EntraTokenValidator
from shared.config import Settings, load_settings
from shared.domain.errors import ConfigurationError
from shared.domain.scm import ReadLimits, ScmConnection
from shared.ports.artifacts import ArtifactStore
from shared.ports.keys import KeyProvider
from shared.ports.registry import ModelRegistry
from shared.ports.repo_index import RepoKey
from shared.ports.sandbox import NetworkPolicy, Sandbox
from shared.ports.scm import RepositoryReader
from shared.ports.secrets import SecretStore
from shared.retrieval.embeddings import StaticModelEmbedder
from shared.services.admin import AdminServices
from shared.services.admin.access import AccessService
from shared.services.admin.connections import ConnectionAdmin
from shared.services.admin.reports import AuditReports, UsageReports
from shared.services.admin.session import ConsoleSession
from shared.services.admin.tasks import TaskAdmin
from shared.services.admin.tenants import PlatformAdmin, TenantPolicies
from shared.services.approvals import ApprovalService
from shared.services.identities import IdentityLinks
from shared.services.intake import IntakeService
from shared.services.llm_hub import LlmHub
from shared.services.llm_hub.breaker import BreakerPolicy, CircuitBreaker
from shared.services.llm_hub.pricing import PriceTable
from shared.services.models.cards import ModelCards
from shared.services.models.catalog import ModelCatalog
from shared.services.models.governance import ModelGovernance
from shared.services.models.routing import ModelRoutes
from shared.services.patch_flow.deps import PatchFlowDeps
from shared.services.reconciler import Reconciler
from shared.services.repo_index import RepoIndexes
from shared.services.retention import RetentionService

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential


class Container:
    """Adapters and services for one process, built from one ``Settings``."""

    def __init__(
        self,
        settings: Settings,
        *,
        postgres_credentials: Callable[[str | None], TokenCredential] = managed_identity_credential,
    ) -> None:
        """``postgres_credentials`` gives the Entra ID credential of the managed identity with
        a client id (None: the system-assigned one); tests pass their own."""
        self.settings = settings
        self._postgres_credentials = postgres_credentials

    # --- storage ---------------------------------------------------------------------------
    def _database(
        self, url: str | None, user: str | None, client_id: str | None, min_size: int
    ) -> Database:
        """A ``Database`` on ``url``, or in Azure on POSTGRES_HOST as ``user`` with Entra ID
        tokens of the managed identity ``client_id``."""
        s = self.settings
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
            password = EntraTokenPassword(self._postgres_credentials(client_id))
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

    @cached_property
    def db(self) -> Database:
        """The app's login: platform tables, and tenant work under each tenant's role. In Azure
        (``POSTGRES_OBJECT_ID``) the provisioner first makes sure that login exists, as a plain
        one: only it, an Entra ID administrator, may create it."""
        s = self.settings
        if s.postgres_object_id and s.postgres_user and self.admin_db is not None:
            with self.admin_db.connection() as conn:
                ensure_entra_login(conn, s.postgres_user, s.postgres_object_id)
        return self._database(
            s.database_url, s.postgres_user, s.postgres_client_id, s.db_pool_min_size
        )

    @cached_property
    def admin_db(self) -> Database | None:
        """The provisioner's login (tenant databases, roles, migrations), when configured."""
        s = self.settings
        if s.database_admin_url or (s.postgres_host and s.postgres_admin_user):
            return self._database(
                s.database_admin_url, s.postgres_admin_user, s.postgres_admin_client_id, 0
            )
        return None

    @cached_property
    def tenants(self) -> PostgresTenantDirectory:
        return PostgresTenantDirectory(
            self.db, role_prefix=self.settings.tenant_role_prefix, admin=self.admin_db
        )

    @cached_property
    def audit(self) -> PostgresAuditLog:
        return PostgresAuditLog(self.db, self.tenants)

    @cached_property
    def tasks(self) -> PostgresTaskStore:
        return PostgresTaskStore(self.db)

    # --- SSO and approvals ---------------------------------------------------------------------
    @cached_property
    def token_validator(self) -> EntraTokenValidator:
        return EntraTokenValidator(
            authority=self.settings.entra_authority, audience=self.settings.entra_audience
        )

    @cached_property
    def approval_store(self) -> PostgresApprovalStore:
        return PostgresApprovalStore(self.db, self.tenants, self.audit)

    @cached_property
    def approvals(self) -> ApprovalService:
        return ApprovalService(self.tenants, self.approval_store)

    @cached_property
    def identities(self) -> IdentityLinks:
        return IdentityLinks(self.approval_store)

    @cached_property
    def admin(self) -> AdminServices:
        """The admin API's services (also what ``python -m tools.admin`` calls)."""
        reads = PostgresAdminReads(self.db, self.tenants, self.audit)
        access = AccessService(
            self.tenants,
            PostgresRoleAssignments(self.db, self.tenants, self.audit),
            self.token_validator,
            platform_directory=self.settings.entra_platform_tenant_id,
        )
        connections = ConnectionAdmin(
            PostgresConnectionDirectory(self.db),
            PostgresConnectionList(self.db),
            self.secrets,
            reads,
            lambda connection: self.scm.for_connection(connection, self.secrets),
            check_egress=self.scm.check_egress,
        )
        return AdminServices(
            access=access,
            platform=PlatformAdmin(self.tenants, PostgresQuotas(self.db)),
            policies=TenantPolicies(self.tenants, reads),
            connections=connections,
            tasks=TaskAdmin(reads, self.approval_store, self.tenants, self.keys),
            audit=AuditReports(reads, self.audit),
            usage=UsageReports(reads),
            session=ConsoleSession(self.tenants, access),
        )

    # --- source control ----------------------------------------------------------------------
    @cached_property
    def scm(self) -> ScmFactory:
        """``container().scm.for_connection(connection, secrets)``: a tenant connection's SCM."""
        s = self.settings
        return ScmFactory(
            limits=ReadLimits(s.scm_max_file_bytes, s.scm_max_tree_entries),
            timeout_s=s.scm_http_timeout_s,
            local_git_root=s.scm_local_git_root or s.data_dir / "git",
            db=lambda: self.db,
            tenants=lambda: self.tenants,
            egress=EgressPolicy(
                allowed_hosts=parse_allowed_hosts(s.scm_allowed_hosts),
                require_https=s.app_environment == "azure",
            ),
        )

    # --- secrets, tenant keys, artifacts: Key Vault / Blob when configured, else DATA_DIR ------
    @cached_property
    def secrets(self) -> SecretStore:
        if self.settings.key_vault_url:
            from shared.adapters.secrets.keyvault import KeyVaultSecretStore

            return KeyVaultSecretStore(self.settings.key_vault_url)
        from shared.adapters.secrets.local import LocalSecretStore

        return LocalSecretStore(self.settings.data_dir)

    @cached_property
    def keys(self) -> KeyProvider:
        if self.settings.key_vault_url:
            from shared.adapters.keys.keyvault import KeyVaultKeyProvider

            return KeyVaultKeyProvider(self.settings.key_vault_url)
        from shared.adapters.keys.local import LocalKeyProvider

        return LocalKeyProvider(self.settings.data_dir)

    @cached_property
    def artifacts(self) -> ArtifactStore:
        s = self.settings
        if s.artifact_blob_connection_string or s.artifact_blob_account_url:
            from shared.adapters.artifacts.blob import BlobArtifactStore

            return BlobArtifactStore(
                s.artifact_blob_container,
                connection_string=s.artifact_blob_connection_string,
                account_url=s.artifact_blob_account_url,
                encryption_scopes=s.artifact_blob_encryption_scopes,
            )
        from shared.adapters.artifacts.filesystem import FilesystemArtifactStore

        return FilesystemArtifactStore(s.data_dir)

    # --- webhook intake -------------------------------------------------------------------------
    @cached_property
    def intake(self) -> IntakeService:
        return IntakeService(
            tenants=self.tenants,
            secrets=self.secrets,
            ledger=PostgresIntakeLedger(self.db, self.audit),
            max_body_bytes=self.settings.webhook_max_body_bytes,
            cache_seconds=self.settings.webhook_cache_seconds,
            connections=PostgresConnectionDirectory(self.db),
        )

    @cached_property
    def repo_indexes(self) -> RepoIndexes:
        """Kept per-repository retrieval indexes, read through each repository's connection;
        chunk embeddings in pgvector where the server has it."""
        connections = PostgresConnectionDirectory(self.db)

        def reader(key: RepoKey) -> RepositoryReader:
            connection = connections.get(key.tenant, key.provider, key.repository)
            return self.scm.for_connection(connection, self.secrets).repository

        store = PostgresRepoIndexStore(self.db, self.tenants)
        if not server_has_pgvector(self.db):
            return RepoIndexes(store, self.tenants, reader)
        vectors = PostgresCodeVectors(self.db, self.tenants)
        embedder = StaticModelEmbedder()
        return RepoIndexes(store, self.tenants, reader, embedder=embedder, vectors=vectors)

    @cached_property
    def reconciler(self) -> Reconciler:
        s = self.settings
        return Reconciler(
            tenants=self.tenants,
            ledger=PostgresReconcileLedger(self.db, self.audit),
            start_after=timedelta(seconds=s.reconcile_start_after_s),
            stall_after=timedelta(seconds=s.reconcile_stall_after_s),
            max_redrives=s.reconcile_max_redrives,
        )

    @cached_property
    def retention(self) -> RetentionService:
        return RetentionService(
            tenants=self.tenants,
            store=PostgresRetentionStore(self.db, self.admin_db or self.db, self.audit),
            work_dir=self.settings.data_dir / "work",
        )

    # --- LLM hub ---------------------------------------------------------------------------------
    @cached_property
    def llm_providers(self) -> ConfiguredLlmProviders:
        """Adapters for LLM routes; ``llm_providers.scripted(name or path)`` is the scripted
        provider for the offline demo (its results are always flagged ``scripted``)."""
        return ConfiguredLlmProviders(self.settings, self.secrets)

    @cached_property
    def llm(self) -> LlmHub:
        s = self.settings
        policy = BreakerPolicy(
            s.llm_breaker_failures, s.llm_breaker_window_s, s.llm_breaker_cooldown_s
        )
        return LlmHub(
            providers=self.llm_providers,
            tenants=self.tenants,
            breaker=CircuitBreaker(PostgresCircuitStore(self.db), policy),
            ledger=PostgresUsageLedger(self.db),
            calls=PostgresLlmCallLog(self.db, self.tenants, self.audit),
            keys=self.keys,
            prices=PriceTable.from_json(s.llm_prices_json),
            models=ModelRoutes(self.model_registry, ttl_s=s.model_alias_cache_s)
            if self.has_model_registry
            else None,
        )

    # --- model registry -----------------------------------------------------------------------
    @property
    def has_model_registry(self) -> bool:
        s = self.settings
        return bool(
            s.mlflow_tracking_uri or (s.app_environment == "local" and s.database_admin_url)
        )

    @cached_property
    def model_registry(self) -> ModelRegistry:
        """MLflow at ``MLFLOW_TRACKING_URI``; locally without it, the registry's own database
        on the platform's server (created on first use, as the provisioner)."""
        s = self.settings
        artifacts = s.mlflow_artifact_location
        if s.mlflow_tracking_uri:
            auth = None
            if s.mlflow_tracking_scope:
                from shared.adapters.registry.entra_auth import EntraBearerAuth

                auth = EntraBearerAuth(managed_identity_credential(), s.mlflow_tracking_scope)
            return MlflowModelRegistry(
                s.mlflow_tracking_uri, artifact_location=artifacts, auth=auth
            )
        admin_url = s.database_admin_url
        if not self.has_model_registry or admin_url is None:
            raise ConfigurationError(
                "the model registry needs MLFLOW_TRACKING_URI (or, locally, DATABASE_ADMIN_URL)"
            )
        platform = conninfo_to_dict(admin_url).get("dbname") or "platform"
        database = s.mlflow_database or f"{platform}_mlflow"
        return MlflowModelRegistry(
            lambda: ensure_registry_database(admin_url, database),
            artifact_location=artifacts or (s.data_dir / "mlflow").resolve().as_uri(),
        )

    @cached_property
    def model_promotions(self) -> PostgresPromotionLog:
        return PostgresPromotionLog(self.db)

    @cached_property
    def model_governance(self) -> ModelGovernance:
        return ModelGovernance(self.model_registry, self.model_promotions)

    @cached_property
    def model_cards(self) -> ModelCards:
        return ModelCards(self.model_registry, self.model_promotions)

    @cached_property
    def model_catalog(self) -> ModelCatalog:
        return ModelCatalog(self.model_registry, self.model_promotions)

    # --- patch flow -------------------------------------------------------------------------------
    @cached_property
    def patch_flow(self) -> PatchFlowDeps:
        return PatchFlowDeps(
            tasks=self.tasks,
            tenants=self.tenants,
            audit=self.audit,
            approvals=self.approval_store,
            connections=PostgresConnectionDirectory(self.db),
            access=PostgresTriggerAccess(),
            scm_for=lambda connection: self.scm.for_connection(connection, self.secrets),
            llm=self.llm,
            work_dir=self.settings.data_dir / "work",
            public_base_url=self.settings.public_base_url,
            slots=PostgresTaskSlots(self.db, self.tenants, self.audit, PostgresQuotas(self.db)),
            slot_retry_s=self.settings.task_slot_retry_s,
            checkout_for=self._checkout,
            sandbox=self.sandbox,
            dependency_cache_dir=self.settings.data_dir / "dependency-cache",
            setup_network=NetworkPolicy(self.settings.sandbox_setup_network),
            repo_indexes=self.repo_indexes,
        )

    def _checkout(self, connection: ScmConnection) -> GitCheckout:
        """A clone of the connection's repository; its URL passes the SCM egress policy."""
        self.scm.check_egress(connection)
        source = clone_source(connection, self.secrets, self.scm.local_git_root(connection.tenant))
        return GitCheckout(connection.tenant, source)

    @cached_property
    def sandbox(self) -> Sandbox:
        """Where repository code runs: Linux namespaces locally, dynamic sessions in Azure."""
        s = self.settings
        if s.sandbox_backend == "dynamic-sessions":
            from shared.adapters.sandbox.dynamic_sessions import DynamicSessionsSandbox

            return DynamicSessionsSandbox(s.sandbox_pool_endpoint, managed_identity_credential())
        from shared.adapters.sandbox.local import LocalSandbox

        return LocalSandbox(backend=s.sandbox_backend)

    @property
    def data_dir(self) -> Path:
        return self.settings.data_dir


@cache
def container() -> Container:
    """The process-wide container, built on first use from the environment; telemetry is
    configured with it (once per process), before any adapter emits a span or a log."""
    settings = load_settings()
    from shared.telemetry.setup import configure_telemetry

    configure_telemetry(settings)
    return Container(settings)
