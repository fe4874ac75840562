"""Which adapter serves a route, with whose credentials; and the platform's default routes.

Credentials: the tenant's own secret (``openai-api-key``, ``azure-openai-api-key``,
``anthropic-api-key``, ``ollama-api-key``) when it has one, else the platform's setting. Azure
OpenAI without any key uses Entra ID (managed identity). Adapters are cached per endpoint,
timeout and credential, so that their SDK clients (and connections) are reused; each carries the
fingerprint of its credential (``LlmProvider.credential``) for the per-credential circuit.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import threading
from collections.abc import Callable, Hashable
from pathlib import Path

from shared.adapters.llm.anthropic import AnthropicLlm
from shared.adapters.llm.ollama import OllamaLlm
from shared.adapters.llm.openai import AzureOpenAiLlm, OpenAiLlm
from shared.adapters.llm.scripted import Recording, ScriptedLlm
from shared.config import Settings
from shared.domain.errors import ConfigurationError, NotFound
from shared.domain.llm import ProviderKind
from shared.domain.llm_hub import LlmRoute
from shared.ports.llm import LlmProvider, LlmProviders
from shared.ports.secrets import SecretStore

SECRET_NAMES = {
    ProviderKind.OPENAI: "openai-api-key",
    ProviderKind.AZURE_OPENAI: "azure-openai-api-key",
    ProviderKind.ANTHROPIC: "anthropic-api-key",
    ProviderKind.OLLAMA: "ollama-api-key",
}
_RECORDING_NAME = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,80}(?:\.[a-z0-9_\-]{1,40})*$")


class ConfiguredLlmProviders(LlmProviders):
    """Adapters for routes, from ``Settings`` and the tenants' ``SecretStore`` entries."""

    def __init__(self, settings: Settings, secrets: SecretStore | None = None) -> None:
        self._settings = settings
        self._secrets = secrets
        self._cache: dict[Hashable, LlmProvider] = {}
        self._lock = threading.Lock()

    @property
    def recordings_dir(self) -> Path:
        return self._settings.llm_recordings_dir or self._settings.data_dir / "recordings"

    def default_routes(self) -> tuple[LlmRoute, ...]:
        """Ollama when ``OLLAMA_HOST`` is set, then Azure OpenAI, OpenAI and Anthropic when
        configured; with none of them, the scripted provider (never in Azure)."""
        s = self._settings
        timeout = s.llm_timeout_s
        routes = []
        if s.ollama_host:
            routes.append(LlmRoute(ProviderKind.OLLAMA, s.ollama_model, timeout_s=timeout))
        if s.azure_openai_endpoint and s.azure_openai_deployment:
            routes.append(
                LlmRoute(ProviderKind.AZURE_OPENAI, s.azure_openai_deployment, timeout_s=timeout)
            )
        if s.openai_api_key:
            routes.append(LlmRoute(ProviderKind.OPENAI, s.openai_model, timeout_s=timeout))
        if s.anthropic_api_key:
            routes.append(LlmRoute(ProviderKind.ANTHROPIC, s.anthropic_model, timeout_s=timeout))
        if routes:
            return tuple(routes)
        if s.app_environment == "azure":
            raise ConfigurationError(
                "no LLM provider is configured: set OLLAMA_HOST, AZURE_OPENAI_ENDPOINT with "
                "AZURE_OPENAI_DEPLOYMENT, OPENAI_API_KEY or ANTHROPIC_API_KEY"
            )
        return (LlmRoute(ProviderKind.SCRIPTED, s.llm_scripted_recording, timeout_s=timeout),)

    def for_route(self, tenant: str, route: LlmRoute) -> LlmProvider:
        s = self._settings
        match route.provider:
            case ProviderKind.OLLAMA:
                host = route.endpoint or s.ollama_host
                if not host:
                    raise ConfigurationError("an Ollama route needs an endpoint or OLLAMA_HOST")
                key = self._key(tenant, route.provider, None)
                return self._cached(
                    (route.provider, host, route.timeout_s),
                    key,
                    lambda: OllamaLlm(host=host, api_key=key, timeout_s=route.timeout_s),
                )
            case ProviderKind.OPENAI:
                openai_key = self._required_key(
                    tenant, route.provider, s.openai_api_key, "OPENAI_API_KEY"
                )
                base_url = route.endpoint or s.openai_base_url
                return self._cached(
                    (route.provider, base_url, route.timeout_s),
                    openai_key,
                    lambda: OpenAiLlm(
                        api_key=openai_key, base_url=base_url, timeout_s=route.timeout_s
                    ),
                )
            case ProviderKind.AZURE_OPENAI:
                return self._azure(tenant, route)
            case ProviderKind.ANTHROPIC:
                key = self._required_key(
                    tenant, route.provider, s.anthropic_api_key, "ANTHROPIC_API_KEY"
                )
                base_url = route.endpoint or s.anthropic_base_url
                return self._cached(
                    (route.provider, base_url, route.timeout_s),
                    key,
                    lambda: AnthropicLlm(api_key=key, base_url=base_url, timeout_s=route.timeout_s),
                )
            case ProviderKind.SCRIPTED:
                return self.scripted(route.model)

    def scripted(self, recording: str | Path) -> ScriptedLlm:
        """The scripted provider for a recording: a name in the recordings directory
        (``<name>.json``, ``.yaml`` or ``.yml``) or a path to a recording file."""
        path = Path(recording) if isinstance(recording, Path) else self._recording_path(recording)
        return ScriptedLlm(Recording.load(path))

    def _recording_path(self, name: str) -> Path:
        if not _RECORDING_NAME.match(name):
            raise ConfigurationError(f"invalid recording name {name!r}")
        for suffix in (".json", ".yaml", ".yml"):
            path = self.recordings_dir / f"{name}{suffix}"
            if path.is_file():
                return path
        raise ConfigurationError(
            f"no recording {name!r} in {self.recordings_dir} (LLM_RECORDINGS_DIR) for the "
            "scripted provider"
        )

    def _azure(self, tenant: str, route: LlmRoute) -> LlmProvider:
        s = self._settings
        endpoint = route.endpoint or s.azure_openai_endpoint
        if not endpoint:
            raise ConfigurationError(
                "an Azure OpenAI route needs an endpoint or AZURE_OPENAI_ENDPOINT"
            )
        key = self._key(tenant, route.provider, s.azure_openai_api_key)
        version = route.api_version or s.azure_openai_api_version
        return self._cached(
            (route.provider, endpoint, version, route.timeout_s),
            key,
            lambda: AzureOpenAiLlm(
                endpoint=endpoint, api_version=version, api_key=key, timeout_s=route.timeout_s
            ),
        )

    def _key(self, tenant: str, provider: ProviderKind, platform_key: str | None) -> str | None:
        if self._secrets is not None:
            try:
                return self._secrets.get(tenant, SECRET_NAMES[provider])
            except NotFound:
                pass
        return platform_key

    def _required_key(
        self, tenant: str, provider: ProviderKind, platform_key: str | None, setting: str
    ) -> str:
        key = self._key(tenant, provider, platform_key)
        if not key:
            raise ConfigurationError(
                f"no {provider} API key for tenant {tenant!r}: set the tenant secret "
                f"{SECRET_NAMES[provider]!r} or {setting}"
            )
        return key

    def _cached(
        self, where: tuple[Hashable, ...], secret: str | None, build: Callable[[], LlmProvider]
    ) -> LlmProvider:
        """The adapter for ``where`` (endpoint, version, timeout) and the credential ``secret``,
        built once; keyed by the credential's fingerprint, never by the credential."""
        credential = credential_fingerprint(str(where[1]), secret)
        with self._lock:
            provider = self._cache.get((*where, credential))
            if provider is None:
                provider = self._cache[(*where, credential)] = build()
                provider.credential = credential
            return provider


def credential_fingerprint(endpoint: str, secret: str | None) -> str:
    """Names a credential without keeping it: an HMAC-SHA256 of ``secret`` keyed by the endpoint's
    URL (the same key on two endpoints gets unrelated names, and a list of leaked keys cannot be
    matched by plain hashing), 128 bits in hex; empty when there is no credential."""
    if not secret:
        return ""
    digest = hmac.new(f"llm-credential|{endpoint}".encode(), secret.encode(), hashlib.sha256)
    return digest.hexdigest()[:32]
