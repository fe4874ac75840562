"""Platform administration (tenants, quotas and budgets) and a tenant's policies.

Every change names its principal: platform changes in ``platform.admin_events`` (which outlives
a deprovisioned tenant), a tenant's policy changes in its own audit chain. Quotas and policies
are versioned: a write must name the version it read (``If-Match``), and a stale one is refused
(``VersionMismatch``, 412) instead of silently overwriting someone else's change.
"""

from __future__ import annotations

from typing import Any

from shared.domain.errors import ConfigurationError, DomainError, InvalidInput
from shared.domain.llm_hub import LlmRoute
from shared.domain.tenant import Tenant, TenantStatus
from shared.policies.triggers.rules import TriggerRules
from shared.ports.admin import AdminReads, Quotas, StaleVersion, version_of
from shared.ports.tenants import TenantDirectory
from shared.services.admin.access import Caller
from shared.services.admin.paging import next_cursor, page


class VersionMismatch(DomainError):
    code = "version-mismatch"
    http_status = 412


class VersionRequired(DomainError):
    code = "if-match-required"
    http_status = 428


#: Policy name in the API -> key in the tenant's settings.
POLICIES = {"trigger": "triggers", "patch": "patch_policy", "model-route": "llm_routes"}


def tenant_view(tenant: Tenant) -> dict[str, Any]:
    directory = tenant.settings.get("entra_tenant_id")
    return {
        "slug": tenant.slug,
        "display_name": tenant.display_name,
        "status": str(tenant.status),
        "created_at": tenant.created_at,
        "entra_tenant_id": directory if isinstance(directory, str) else None,
    }


def check_version(current: str, if_match: str | None) -> None:
    if if_match is None:
        raise VersionRequired("send If-Match with the ETag you read", code="if-match-required")
    if if_match.strip().strip('"').removeprefix('W/"') != current:
        raise VersionMismatch("the resource changed since you read it; read it again")


class PlatformAdmin:
    def __init__(self, tenants: TenantDirectory, quotas: Quotas) -> None:
        self._tenants = tenants
        self._quotas = quotas

    def list(self, cursor: str | None, limit: int) -> dict[str, Any]:
        at = page(cursor, limit)
        after = str(at.after[0]) if at.after else ""
        chosen = [t for t in self._tenants.list() if t.slug > after][:limit]
        rows = [{**tenant_view(t), "_key": (t.slug,)} for t in chosen]
        return {
            "items": [tenant_view(t) for t in chosen],
            "next_cursor": next_cursor(rows, limit),
        }

    def get(self, slug: str) -> dict[str, Any]:
        return tenant_view(self._tenants.get(slug))

    def create(self, body: dict[str, Any], caller: Caller) -> dict[str, Any]:
        settings = {"entra_tenant_id": body["entra_tenant_id"].lower()}
        tenant = self._tenants.provision(body["slug"], body["display_name"], settings)
        self._quotas.record(caller.actor, "tenant.provisioned", tenant.slug, tenant_view(tenant))
        return tenant_view(tenant)

    def set_status(self, slug: str, status: TenantStatus, caller: Caller) -> dict[str, Any]:
        tenant = self._tenants.set_status(slug, status)
        self._quotas.record(caller.actor, f"tenant.{status}", slug, {})
        return tenant_view(tenant)

    def deprovision(self, slug: str, caller: Caller) -> None:
        self._tenants.deprovision(slug)
        self._quotas.record(caller.actor, "tenant.deprovisioned", slug, {})

    def quotas(self, slug: str) -> tuple[dict[str, Any], str]:
        values = self._quotas.get(slug)
        return values, version_of(values)

    def set_quotas(
        self, slug: str, values: dict[str, Any], if_match: str | None, caller: Caller
    ) -> tuple[dict[str, Any], str]:
        _, version = self.quotas(slug)
        check_version(version, if_match)
        try:
            updated = self._quotas.update(slug, values, version=version, actor=caller.actor)
        except StaleVersion as exc:
            raise VersionMismatch("the quotas changed since you read them") from exc
        return updated, version_of(updated)


class TenantPolicies:
    """The tenant's trigger policy, patch policy and model route (``tenant.settings``)."""

    def __init__(self, tenants: TenantDirectory, reads: AdminReads) -> None:
        self._tenants = tenants
        self._reads = reads

    def get(self, slug: str, policy: str) -> tuple[dict[str, Any], str]:
        value = _view(policy, self._tenants.get(slug).settings.get(POLICIES[policy]))
        return value, version_of(value)

    def put(
        self,
        slug: str,
        policy: str,
        body: dict[str, Any],
        if_match: str | None,
        caller: Caller,
    ) -> tuple[dict[str, Any], str]:
        stored = _validated(policy, {k: v for k, v in body.items() if v is not None})
        with self._reads.exclusive(slug, f"policy:{policy}") as record:
            _, version = self.get(slug, policy)
            check_version(version, if_match)
            self._tenants.update_settings(slug, {POLICIES[policy]: stored})
            record(
                kind="policy.changed", actor=caller.actor, data={"policy": policy, "value": stored}
            )
        return self.get(slug, policy)


def _view(policy: str, stored: Any) -> dict[str, Any]:
    if policy == "model-route":
        return {"routes": list(stored) if isinstance(stored, list) else []}
    return dict(stored) if isinstance(stored, dict) else {}


def _validated(policy: str, body: dict[str, Any]) -> Any:
    """What to store, checked by the code that will read it (so a stored policy always loads)."""
    if policy == "model-route":
        routes = [{k: v for k, v in r.items() if v is not None} for r in body.get("routes", [])]
        for route in routes:
            LlmRoute.from_dict(route)
        return routes
    if policy == "trigger":
        try:
            TriggerRules.from_settings({"triggers": body})
        except ConfigurationError as exc:
            raise InvalidInput(exc.message, code="invalid-trigger-policy") from exc
    return body
