"""Frozen settings, built once from the environment (and, locally, ``local.settings.json``).

The Functions host turns app settings into environment variables; locally devhost does the same
with ``local.settings.json``'s ``Values``. ``load_settings`` reads that file too, so that tools and
tests started outside devhost see the same values; real environment variables win. Code never
writes ``os.environ`` and keeps no mutable global settings: the one ``Settings`` object is passed
down from ``shared.bootstrap``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.domain.errors import ConfigurationError

LOCAL_SETTINGS_FILE = "local.settings.json"
# Without these the app cannot run in Azure, where there is no local fallback (the instance's disk
# does not last); the infrastructure sets each one (infra/pulumi/tests/test_app_contract.py).
AZURE_REQUIRED = ("POSTGRES_HOST", "KEY_VAULT_URL", "POSTGRES_USER", "ARTIFACT_BLOB_ACCOUNT_URL")


class Settings(BaseSettings):
    """Every app setting, with safe local defaults. Names are the app-setting names, upper-cased."""

    model_config = SettingsConfigDict(
        frozen=True, extra="ignore", case_sensitive=False, env_ignore_empty=True
    )

    app_environment: Literal["local", "azure"] = "local"
    public_base_url: str = "http://localhost:7071"

    # PostgreSQL: DATABASE_URL locally (devhost supplies an embedded server when unset);
    # POSTGRES_HOST + POSTGRES_DATABASE with Entra ID tokens in Azure. The app's login owns
    # nothing; the provisioner's (DATABASE_ADMIN_URL, or POSTGRES_ADMIN_USER in Azure) creates
    # tenant databases and roles and runs migrations. Unset, the app's login does that itself.
    database_url: str | None = None
    database_admin_url: str | None = None
    postgres_host: str | None = None
    postgres_database: str = "platform"
    postgres_user: str | None = None
    postgres_admin_user: str | None = None
    postgres_auth: Literal["password", "entra"] = "password"
    db_pool_min_size: int = Field(default=1, ge=0)
    db_pool_max_size: int = Field(default=10, ge=1)
    # Per-tenant pools: each at most this many connections, all together at most the ceiling
    # (least recently used closed first); connections retire before an Entra token expires.
    db_tenant_pool_max_size: int = Field(default=4, ge=1)
    db_tenant_max_connections: int = Field(default=40, ge=1)
    db_connection_max_lifetime_s: float = Field(default=1800.0, ge=60)
    tenant_role_prefix: str = Field(default="tenant_", pattern=r"^[a-z][a-z0-9_]{0,20}$")

    data_dir: Path = Path(".devhost")

    # Secrets, keys, artifacts
    key_vault_url: str | None = None
    artifact_blob_account_url: str | None = None
    artifact_blob_connection_string: str | None = None
    artifact_blob_container: str = "artifacts"

    # Model registry (MLflow): a tracking server's URL (Azure: the Container App, with Entra ID
    # in front: the managed identity's token for MLFLOW_TRACKING_SCOPE, refreshed before it
    # expires). Unset locally: database MLFLOW_DATABASE (default: the platform database's name
    # + "_mlflow") on the platform's server, as the provisioner's login, with artifacts under
    # DATA_DIR/mlflow.
    mlflow_tracking_uri: str | None = None
    mlflow_tracking_scope: str | None = Field(default=None, pattern=r"^\S+/\.default$")
    mlflow_database: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_]{0,62}$")
    mlflow_artifact_location: str | None = None
    # How long a route's registry alias is cached per process (a promotion's delay).
    model_alias_cache_s: float = Field(default=30.0, ge=0)

    # Telemetry
    applicationinsights_connection_string: str | None = None
    otel_exporter_otlp_endpoint: str | None = None
    otel_service_name: str = "ai-code-agent"
    # Fraction of traces kept (Azure Monitor's default is a rate limit that can drop any span).
    telemetry_sampling_ratio: float = Field(default=1.0, ge=0.0, le=1.0)
    # With no exporter set, spans go to this JSON-lines file (devhost sets it under DATA_DIR;
    # ``python -m tools.trace TASK_ID`` reads it).
    telemetry_spans_file: Path | None = None

    # Durable
    durable_task_hub: str = "aicodeagent"

    # Webhook intake
    webhook_max_body_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)
    # How long tenant lookups and webhook secrets are cached per process (rotation: the old
    # secret stays valid as "-previous"; a failed check reloads them at most once a second).
    webhook_cache_seconds: float = Field(default=10.0, ge=0)

    # Reconciler (a timer, every minute): start tasks left queued this long after intake,
    # re-drive running tasks unchanged this long, dead-letter them after this many re-drives.
    reconcile_start_after_s: float = Field(default=120.0, gt=0)
    reconcile_stall_after_s: float = Field(default=3600.0, gt=0)
    reconcile_max_redrives: int = Field(default=3, ge=0)

    # LLM providers (per-tenant routes live in storage; these are the platform defaults)
    ollama_host: str | None = None
    openai_api_key: str | None = None
    openai_base_url: str | None = None
    azure_openai_endpoint: str | None = None
    azure_openai_api_key: str | None = None
    azure_openai_api_version: str = "2024-10-21"
    anthropic_api_key: str | None = None
    anthropic_base_url: str | None = None
    # LLM hub: default models (per-tenant routes override), timeouts, prices, circuit breaker
    ollama_model: str = "qwen2.5-coder:7b"
    openai_model: str = "gpt-4o"
    azure_openai_deployment: str | None = None
    anthropic_model: str = "claude-sonnet-4-5"
    llm_timeout_s: float = Field(default=120.0, gt=0, le=3600)
    llm_recordings_dir: Path | None = None  # scripted provider's recordings; <DATA_DIR>/recordings
    llm_scripted_recording: str = "demo"
    llm_prices_json: str | None = None  # {"provider/model" or "model": {"input": .., "output": ..}}
    llm_breaker_failures: int = Field(default=5, ge=1)
    llm_breaker_window_s: float = Field(default=60.0, gt=0)
    llm_breaker_cooldown_s: float = Field(default=30.0, gt=0)

    # --- SCM adapters (issue 5) ---------------------------------------------------------------
    # Bounds on what reading a repository may load; one timeout for every SCM SDK call (the SDKs
    # never retry: the orchestrator does); where local_git keeps bare repositories whose
    # connection has no base_url (default: <DATA_DIR>/git).
    scm_max_file_bytes: int = Field(default=1024 * 1024, ge=1)
    scm_max_tree_entries: int = Field(default=100_000, ge=1)
    scm_http_timeout_s: float = Field(default=30.0, gt=0)
    scm_local_git_root: Path | None = None
    # Hosts (or host:port) an SCM base_url may name although they resolve to non-public
    # addresses: comma-separated, ``*`` wildcards (shared/adapters/scm/egress.py).
    scm_allowed_hosts: str = ""

    # --- Sandbox for repository code (issue 13) -----------------------------------------------
    # auto: bubblewrap, else unshare (checks are "unchecked" where neither isolates); in Azure
    # dynamic-sessions with SANDBOX_POOL_ENDPOINT. What setup: commands get: the network, or none.
    sandbox_backend: Literal["auto", "bwrap", "unshare", "dynamic-sessions"] = "auto"
    sandbox_pool_endpoint: str | None = None
    sandbox_setup_network: Literal["setup", "none"] = "setup"

    # Entra ID (SSO for approvals and the admin API)
    entra_audience: str = "api://ai-code-agent"
    entra_authority: str = "https://login.microsoftonline.com"
    dev_oidc_enabled: bool = False
    # The browser console's app registration (a public SPA client: no secret) and the API scope
    # it asks for (empty: ``<ENTRA_AUDIENCE>/access_as_user``).
    entra_console_client_id: str = "ai-code-agent-console"
    entra_console_scope: str = ""
    # The platform operators' own directory: its PlatformAdmin app role manages every tenant
    # (unset: no caller is a PlatformAdmin).
    entra_platform_tenant_id: str = ""
    # Largest JSON body the admin API reads (413 problem beyond it).
    api_max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    # How long a task waits before asking again for one of its tenant's concurrent-task slots.
    task_slot_retry_s: float = Field(default=15.0, gt=0, le=3600)

    @model_validator(mode="after")
    def _check_environment(self) -> Settings:
        if self.app_environment == "azure":
            problems = []
            missing = [name for name in AZURE_REQUIRED if not getattr(self, name.lower())]
            if missing:
                problems.append(f"required in Azure: {', '.join(missing)}")
            if not self.public_base_url.startswith("https://"):
                problems.append("PUBLIC_BASE_URL must be an https:// URL in Azure")
            if self.dev_oidc_enabled:
                problems.append("DEV_OIDC_ENABLED must never be set in Azure")
            if self.mlflow_tracking_uri and not self.mlflow_tracking_scope:
                problems.append("MLFLOW_TRACKING_URI needs MLFLOW_TRACKING_SCOPE in Azure")
            if problems:
                raise ValueError("; ".join(problems))
        return self


def read_local_settings(app_dir: Path) -> dict[str, str]:
    """``Values`` of ``local.settings.json`` in ``app_dir`` (empty when the file is absent)."""
    path = app_dir / LOCAL_SETTINGS_FILE
    if not path.is_file():
        return {}
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ConfigurationError(f"{path}: not valid JSON ({exc.msg}, line {exc.lineno})") from exc
    values = document.get("Values", {})
    if not isinstance(values, dict):
        raise ConfigurationError(f"{path}: 'Values' must be an object")
    return {str(k): str(v) for k, v in values.items()}


def load_settings(app_dir: Path | None = None, **overrides: Any) -> Settings:
    """Build the settings once. Environment beats ``local.settings.json``; ``overrides`` beat both.

    Raises ``ConfigurationError`` naming every invalid or missing setting.
    """
    base = Path.cwd() if app_dir is None else app_dir
    env_names = {name.upper() for name in os.environ}
    from_file = {
        k.lower(): v
        for k, v in read_local_settings(base).items()
        if k.upper() not in env_names and v != ""
    }
    try:
        return Settings(**{**from_file, **overrides})
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']).upper() or 'settings'}: {err['msg']}"
            for err in exc.errors()
        )
        # Not chained: pydantic's own message quotes the input, which holds secret values.
        raise ConfigurationError(f"invalid settings: {problems}") from None
