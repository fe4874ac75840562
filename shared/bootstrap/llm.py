"""The composition root's LLM wiring: the hub over the configured providers (circuit breaker,
usage ledger, call log, prices) and the model registry its routes resolve aliases in (MLflow, or
locally its own database on the platform's server)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from psycopg.conninfo import conninfo_to_dict

from shared.adapters.llm.call_log import PostgresLlmCallLog
from shared.adapters.llm.postgres import PostgresCircuitStore, PostgresUsageLedger
from shared.adapters.registry.mlflow import MlflowModelRegistry
from shared.adapters.registry.store import ensure_registry_database
from shared.adapters.store.postgres.entra import managed_identity_credential
from shared.config import Settings
from shared.domain.errors import ConfigurationError
from shared.ports.registry import ModelRegistry
from shared.services.llm_hub import LlmHub
from shared.services.llm_hub.breaker import BreakerPolicy, CircuitBreaker
from shared.services.llm_hub.pricing import PriceTable
from shared.services.models.routing import ModelRoutes

if TYPE_CHECKING:
    from shared.bootstrap import Container


def llm_hub(c: Container) -> LlmHub:
    s = c.settings
    policy = BreakerPolicy(s.llm_breaker_failures, s.llm_breaker_window_s, s.llm_breaker_cooldown_s)
    return LlmHub(
        providers=c.llm_providers,
        tenants=c.tenants,
        breaker=CircuitBreaker(PostgresCircuitStore(c.db), policy),
        ledger=PostgresUsageLedger(c.db),
        calls=PostgresLlmCallLog(c.db, c.tenants, c.audit),
        keys=c.keys,
        prices=PriceTable.from_json(s.llm_prices_json),
        models=ModelRoutes(c.model_registry, ttl_s=s.model_alias_cache_s)
        if registry_configured(s)
        else None,
    )


def registry_configured(settings: Settings) -> bool:
    """Whether a model registry is configured: MLflow, or locally the provisioner's URL."""
    s = settings
    return bool(s.mlflow_tracking_uri or (s.app_environment == "local" and s.database_admin_url))


def choose_model_registry(settings: Settings) -> ModelRegistry:
    """MLflow at ``MLFLOW_TRACKING_URI``; locally without it, the registry's own database
    on the platform's server (created on first use, as the provisioner)."""
    s = settings
    artifacts = s.mlflow_artifact_location
    if s.mlflow_tracking_uri:
        auth = None
        if s.mlflow_tracking_scope:
            from shared.adapters.registry.entra_auth import EntraBearerAuth

            auth = EntraBearerAuth(managed_identity_credential(), s.mlflow_tracking_scope)
        return MlflowModelRegistry(s.mlflow_tracking_uri, artifact_location=artifacts, auth=auth)
    admin_url = s.database_admin_url
    if not registry_configured(s) or admin_url is None:
        raise ConfigurationError(
            "the model registry needs MLFLOW_TRACKING_URI (or, locally, DATABASE_ADMIN_URL)"
        )
    platform = conninfo_to_dict(admin_url).get("dbname") or "platform"
    database = s.mlflow_database or f"{platform}_mlflow"
    return MlflowModelRegistry(
        lambda: ensure_registry_database(admin_url, database),
        artifact_location=artifacts or (s.data_dir / "mlflow").resolve().as_uri(),
    )
