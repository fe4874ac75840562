"""The composition root: the one place where adapters are chosen and wired.

Triggers and activities call ``container()`` and use the services it builds; nothing else reads
settings or constructs adapters. Everything is built lazily on first use (construction does no
I/O, and heavy SDKs load only inside their adapters), so ``import function_app`` stays fast.

``Container`` is the entry; the wiring that takes more than a line lives beside it by concern:
``databases`` (the PostgreSQL logins), ``cloud`` (an Azure service or its local stand-in),
``admin`` (the admin API's services), ``llm`` (the hub and the model registry) and
``patch_flow`` (the flow's dependencies, checkouts and retrieval indexes).
"""

from __future__ import annotations

from datetime import timedelta
from functools import cache, cached_property
from pathlib import Path

from shared.adapters.llm.providers import ConfiguredLlmProviders
from shared.adapters.scm import ScmFactory
from shared.adapters.scm.egress import EgressPolicy, parse_allowed_hosts
from shared.adapters.store.postgres.approvals import PostgresApprovalStore
from shared.adapters.store.postgres.audit import PostgresAuditLog
from shared.adapters.store.postgres.connections import PostgresConnectionDirectory
from shared.adapters.store.postgres.database import Database
from shared.adapters.store.postgres.entra import managed_identity_credential
from shared.adapters.store.postgres.intake import PostgresIntakeLedger
from shared.adapters.store.postgres.promotions import PostgresPromotionLog
from shared.adapters.store.postgres.reconcile import PostgresReconcileLedger
from shared.adapters.store.postgres.retention import PostgresRetentionStore
from shared.adapters.store.postgres.task_store import PostgresTaskStore
from shared.adapters.store.postgres.tenants import PostgresTenantDirectory
from shared.auth.entra import EntraTokenValidator
from shared.bootstrap.admin import admin_services
from shared.bootstrap.cloud import artifact_store, choose_sandbox, key_provider, secret_store
from shared.bootstrap.databases import Credentials, admin_database, app_database
from shared.bootstrap.llm import choose_model_registry, llm_hub, registry_configured
from shared.bootstrap.patch_flow import patch_flow_deps, retrieval_indexes
from shared.config import Settings, load_settings
from shared.domain.scm import ReadLimits
from shared.ports.artifacts import ArtifactStore
from shared.ports.keys import KeyProvider
from shared.ports.registry import ModelRegistry
from shared.ports.sandbox import Sandbox
from shared.ports.secrets import SecretStore
from shared.services.admin import AdminServices
from shared.services.approvals import ApprovalService
from shared.services.identities import IdentityLinks
from shared.services.intake import IntakeService
from shared.services.llm_hub import LlmHub
from shared.services.models.cards import ModelCards
from shared.services.models.catalog import ModelCatalog
from shared.services.models.governance import ModelGovernance
from shared.services.patch_flow.deps import PatchFlowDeps
from shared.services.reconciler import Reconciler
from shared.services.repo_index import RepoIndexes
from shared.services.retention import RetentionService


class Container:
    """Adapters and services for one process, built from one ``Settings``."""

    def __init__(
        self,
        settings: Settings,
        *,
        postgres_credentials: Credentials = managed_identity_credential,
    ) -> None:
        """``postgres_credentials`` gives the Entra ID credential of the managed identity with
        a client id (None: the system-assigned one); tests pass their own."""
        self.settings = settings
        self._postgres_credentials = postgres_credentials

    # --- storage ---------------------------------------------------------------------------
    @cached_property
    def db(self) -> Database:
        """The app's login: platform tables, and tenant work under each tenant's role."""
        return app_database(self.settings, self._postgres_credentials, lambda: self.admin_db)

    @cached_property
    def admin_db(self) -> Database | None:
        """The provisioner's login (tenant databases, roles, migrations), when configured."""
        return admin_database(self.settings, self._postgres_credentials)

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
        return admin_services(self)

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
        return secret_store(self.settings)

    @cached_property
    def keys(self) -> KeyProvider:
        return key_provider(self.settings)

    @cached_property
    def artifacts(self) -> ArtifactStore:
        return artifact_store(self.settings)

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
        return retrieval_indexes(self)

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
        return llm_hub(self)

    # --- model registry -----------------------------------------------------------------------
    @property
    def has_model_registry(self) -> bool:
        return registry_configured(self.settings)

    @cached_property
    def model_registry(self) -> ModelRegistry:
        return choose_model_registry(self.settings)

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
        return patch_flow_deps(self)

    @cached_property
    def sandbox(self) -> Sandbox:
        return choose_sandbox(self.settings)

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
