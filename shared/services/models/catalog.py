"""What the admin API shows of the registry: versions with their aliases and latest evaluation,
and the promotion record.

Two audiences: PlatformAdmins see every tenant's aliases (``tenant=ALL_TENANTS``); a tenant's
users see the global aliases and only their own tenant's, since which versions other tenants
pinned is theirs to know (as on the model card).
"""

from __future__ import annotations

from typing import Any

from shared.domain.errors import NotFound
from shared.domain.models import (
    ALIASES,
    EvaluationResult,
    ModelSpec,
    ModelVersion,
    Promotion,
    card_path,
)
from shared.ports.registry import ModelRegistry, PromotionLog

ALL_TENANTS = "*"  # not a tenant slug (slugs are [a-z][a-z0-9-]+)


def evaluation_view(result: EvaluationResult) -> dict[str, Any]:
    """One evaluation as the admin API and the model card show it."""
    return {
        "suite": result.suite,
        "suite_version": result.suite_version,
        "run_id": result.run_id,
        **result.metrics(),
    }


def spec_view(spec: ModelSpec) -> dict[str, Any]:
    """What answers for a version (provider, model, prompt, edit format), as the admin API and
    the model card show it."""
    return {
        "provider": str(spec.provider),
        "model": spec.model,
        "model_version": spec.model_version,
        "prompt": spec.prompt,
        "prompt_hash": spec.prompt_hash,
        "edit_format": spec.edit_format,
    }


def promotion_view(step: Promotion) -> dict[str, Any]:
    """One promotion step as the admin API shows it (the model card shows a part of it)."""
    return {
        "model": step.model,
        "version": step.version,
        "alias": step.alias,
        "tenant": step.tenant,
        "action": step.action,
        "actor": step.actor,
        "reason": step.reason,
        "gate": step.gate,
        "previous": step.previous,
        "at": step.occurred_at or None,
    }


class ModelCatalog:
    def __init__(self, registry: ModelRegistry, promotions: PromotionLog) -> None:
        self._registry = registry
        self._promotions = promotions

    def models(self) -> dict[str, Any]:
        """Every registered model with the versions its global aliases name (None: unset)."""
        return {
            "items": [
                {"name": name, **{alias: self._aliased(name, alias) for alias in ALIASES}}
                for name in self._registry.names()
            ]
        }

    def _aliased(self, name: str, alias: str) -> int | None:
        try:
            return self._registry.resolve(name, alias).version
        except NotFound:
            return None

    def versions(self, name: str, tenant: str) -> dict[str, Any]:
        """Every version of ``name``, oldest first, as ``tenant`` (or ``ALL_TENANTS``) may see
        it. An unknown model is a 404, not an empty list, so a typo is not mistaken for an
        empty registry."""
        found = self._registry.versions(name)
        if not found:
            raise NotFound(f"no model {name!r}", code="model-not-found")
        return {"items": [self._view(v, tenant) for v in found]}

    def history(self, name: str) -> dict[str, Any]:
        """The promotion record of ``name``, every tenant's, oldest first: proposals,
        decisions, refusals and rollbacks (for PlatformAdmins)."""
        return {"items": [promotion_view(s) for s in self._promotions.history(name)]}

    def _view(self, found: ModelVersion, tenant: str) -> dict[str, Any]:
        evaluations = self._registry.evaluations(found.name, found.version)
        return {
            "name": found.name,
            "version": found.version,
            "uri": found.uri,
            **spec_view(found.spec),
            "description": found.description,
            "created_by": found.created_by,
            "created_at": found.created_at or None,
            "aliases": list(found.aliases),
            "tenant_aliases": [
                {"tenant": t, "alias": a}
                for t, a in found.tenant_aliases
                if tenant in (ALL_TENANTS, t)
            ],
            "latest_evaluation": evaluation_view(evaluations[-1]) if evaluations else None,
            "card": card_path(found.uri),
        }
