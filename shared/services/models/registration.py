"""Registering ``patch-generator`` versions, and the default champion of a fresh install.

A version pins the template that the route's edit format selects (its ``name.vN`` and content
hash from the shipped prompt library), so a later template change needs a new version.
"""

from __future__ import annotations

from typing import Any

from shared.domain.llm_hub import LlmRoute
from shared.domain.models import CHAMPION, PATCH_MODEL, ModelSpec, ModelVersion, Promotion
from shared.ports.registry import ModelRegistry, PromotionLog
from shared.services.llm_hub.patch_prompts import PATCH_TEMPLATE
from shared.services.llm_hub.prompts import PromptLibrary

DEFAULT_ACTOR = "migration"


def spec_for(
    route: LlmRoute,
    *,
    edit_format: str,
    prompts: PromptLibrary,
    model_version: str | None = None,
    parameters: dict[str, Any] | None = None,
) -> ModelSpec:
    """The spec of ``route`` answering in ``edit_format``, pinned to the latest shipped version
    of that format's patch template."""
    ref = prompts.get(PATCH_TEMPLATE.replace("{edit_format}", edit_format.replace("-", "_"))).ref
    return ModelSpec(
        provider=route.provider,
        model=route.model,
        model_version=model_version,
        prompt=f"{ref.name}.v{ref.version}",
        prompt_hash=ref.content_hash,
        edit_format=edit_format,
        parameters={
            "temperature": 0.0,
            "max_tokens": 4096,
            "timeout_s": route.timeout_s,
            **(parameters or {}),
        },
        endpoint=route.endpoint,
    )


def ensure_default_champion(
    registry: ModelRegistry,
    promotions: PromotionLog,
    route: LlmRoute,
    prompts: PromptLibrary,
    edit_format: str = "udiff",
) -> ModelVersion | None:
    """On a registry without ``patch-generator``: register ``route`` (the platform's first
    default route: the configured provider, or the scripted one) and make it the champion,
    recorded as approved by the migration. Returns the version, or None when one existed."""
    if registry.versions(PATCH_MODEL):
        return None
    made = registry.register(
        PATCH_MODEL,
        spec_for(route, edit_format=edit_format, prompts=prompts),
        description="The platform's default route, registered on a fresh install.",
        created_by=DEFAULT_ACTOR,
    )
    promotions.append(
        Promotion(
            PATCH_MODEL,
            made.version,
            CHAMPION,
            None,
            "approved",
            DEFAULT_ACTOR,
            reason="default champion of a fresh install",
        )
    )
    registry.set_alias(PATCH_MODEL, CHAMPION, made.version)
    return registry.get(PATCH_MODEL, made.version)
