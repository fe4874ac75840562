"""Which adapter serves a route, with whose key; the platform's default routes."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.adapters.llm.anthropic import AnthropicLlm
from shared.adapters.llm.ollama import OllamaLlm
from shared.adapters.llm.openai import AzureOpenAiLlm, OpenAiLlm
from shared.adapters.llm.providers import ConfiguredLlmProviders
from shared.adapters.llm.scripted import ScriptedLlm
from shared.adapters.secrets.local import LocalSecretStore
from shared.config import Settings
from shared.domain.errors import ConfigurationError
from shared.domain.llm import ProviderKind
from shared.domain.llm_hub import LlmRoute


def route(provider: str, model: str = "m", **kwargs) -> LlmRoute:
    return LlmRoute(ProviderKind(provider), model, **kwargs)


def test_default_routes_follow_the_configured_providers(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path,
        ollama_host="http://gpu:11434",
        azure_openai_endpoint="https://x.openai.azure.com",
        azure_openai_deployment="gpt4o-prod",
        openai_api_key="k1",
        anthropic_api_key="k2",
        llm_timeout_s=30,
    )
    routes = ConfiguredLlmProviders(settings).default_routes()
    assert [(r.provider.value, r.model) for r in routes] == [
        ("ollama", "qwen2.5-coder:7b"),
        ("azure-openai", "gpt4o-prod"),
        ("openai", "gpt-4o"),
        ("anthropic", "claude-sonnet-4-5"),
    ]
    assert {r.timeout_s for r in routes} == {30}


def test_without_providers_the_default_is_scripted_locally_and_an_error_in_azure(
    tmp_path: Path,
) -> None:
    (only,) = ConfiguredLlmProviders(Settings(data_dir=tmp_path)).default_routes()
    assert only.provider is ProviderKind.SCRIPTED and only.model == "demo"
    azure = Settings(
        data_dir=tmp_path,
        app_environment="azure",
        public_base_url="https://app.example",
        postgres_host="pg",
        postgres_user="app",
        key_vault_url="https://kv",
        artifact_blob_account_url="https://blob.example",
    )
    with pytest.raises(ConfigurationError, match="no LLM provider is configured"):
        ConfiguredLlmProviders(azure).default_routes()


def test_the_tenant_key_wins_over_the_platform_key_and_adapters_are_reused(
    tmp_path: Path,
) -> None:
    secrets = LocalSecretStore(tmp_path)
    providers = ConfiguredLlmProviders(Settings(openai_api_key="platform-key"), secrets)
    platform = providers.for_route("acme", route("openai", "gpt-4o"))
    assert isinstance(platform, OpenAiLlm) and platform._api_key == "platform-key"
    assert providers.for_route("acme", route("openai", "gpt-4o-mini")) is platform

    secrets.set("acme", "openai-api-key", "tenant-key")
    own = providers.for_route("acme", route("openai", "gpt-4o"))
    assert own is not platform and own._api_key == "tenant-key"  # type: ignore[attr-defined]
    assert providers.for_route("other", route("openai", "gpt-4o")) is platform


def test_each_provider_gets_its_adapter_and_endpoint(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path,
        ollama_host="http://gpu:11434",
        azure_openai_endpoint="https://x.openai.azure.com",
        anthropic_api_key="k",
    )
    providers = ConfiguredLlmProviders(settings)
    ollama = providers.for_route("acme", route("ollama"))
    assert isinstance(ollama, OllamaLlm) and ollama.endpoint == "ollama http://gpu:11434"
    azure = providers.for_route("acme", route("azure-openai", api_version="2025-01-01-preview"))
    assert isinstance(azure, AzureOpenAiLlm)
    assert azure.endpoint == "azure-openai https://x.openai.azure.com"
    other = providers.for_route("acme", route("anthropic", endpoint="https://proxy.example/"))
    assert isinstance(other, AnthropicLlm) and other.endpoint == "anthropic https://proxy.example"


def test_missing_keys_and_endpoints_are_configuration_errors(tmp_path: Path) -> None:
    providers = ConfiguredLlmProviders(Settings(data_dir=tmp_path), LocalSecretStore(tmp_path))
    with pytest.raises(ConfigurationError, match="'openai-api-key' or OPENAI_API_KEY"):
        providers.for_route("acme", route("openai"))
    with pytest.raises(ConfigurationError, match="ANTHROPIC_API_KEY"):
        providers.for_route("acme", route("anthropic"))
    with pytest.raises(ConfigurationError, match="OLLAMA_HOST"):
        providers.for_route("acme", route("ollama"))
    with pytest.raises(ConfigurationError, match="AZURE_OPENAI_ENDPOINT"):
        providers.for_route("acme", route("azure-openai"))


def test_recordings_are_looked_up_by_name_inside_the_recordings_dir(tmp_path: Path) -> None:
    recordings = tmp_path / "rec"
    recordings.mkdir()
    (recordings / "demo.yml").write_text("- text: hi\n")
    (tmp_path / "secret.json").write_text('[{"text": "outside"}]')
    providers = ConfiguredLlmProviders(Settings(data_dir=tmp_path, llm_recordings_dir=recordings))
    scripted = providers.for_route("acme", route("scripted", "demo"))
    assert isinstance(scripted, ScriptedLlm) and scripted.recording.name == "demo"
    with pytest.raises(ConfigurationError, match="invalid recording name"):
        providers.for_route("acme", route("scripted", "../secret"))
    with pytest.raises(ConfigurationError, match="no recording 'absent'"):
        providers.for_route("acme", route("scripted", "absent"))
    assert providers.scripted(tmp_path / "secret.json").recording.name == "secret"
