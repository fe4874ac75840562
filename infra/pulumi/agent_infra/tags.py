"""Tags every taggable resource carries (the policy pack enforces the same keys)."""

from __future__ import annotations

from agent_infra.settings import PlatformSettings

REQUIRED_TAGS = ("app", "environment", "owner", "managed-by")
APP_TAG = "ai-code-agent"


def platform_tags(settings: PlatformSettings) -> dict[str, str]:
    return {
        **settings.extra_tags,
        "app": APP_TAG,
        "environment": settings.environment,
        "owner": settings.owner,
        "managed-by": "pulumi",
    }


def tenant_tags(base: dict[str, str], slug: str) -> dict[str, str]:
    return {**base, "tenant": slug}
