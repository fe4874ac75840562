"""The admin API's model registry operations (``MODEL_OPERATIONS``): promotion governed by
PlatformAdmins, read-only views for a tenant's users.

The decider is always the token's caller: an ``Actor`` whose id is the caller's Entra object
id, so the proposer-cannot-approve rule compares identities the directory vouches for, never a
name typed by whoever is asking.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from functions.api_dispatch import Reply, Request
from shared.domain.errors import InvalidInput
from shared.domain.models import validate_model_name

if TYPE_CHECKING:
    from shared.services.models.governance import Actor


def _model(r: Request) -> str:
    return validate_model_name(r.params["model"])


def _version(r: Request) -> int:
    text = r.params["version"]
    if not text.isdigit() or not 0 < int(text) < 10**9:
        raise InvalidInput(f"invalid model version {text!r}", code="invalid-model-version")
    return int(text)


def _actor(r: Request) -> Actor:
    from shared.services.models.governance import Actor

    p = r.caller.principal
    return Actor(p.object_id, frozenset(map(str, r.caller.roles)), name=p.username)


def _tenant_target(r: Request) -> str | None:
    """The tenant whose own alias moves (None: the global alias); it must exist."""
    tenant: str | None = r.body["tenant"]
    if tenant is not None:
        r.app.tenants.get(tenant)  # TenantNotFound (404) for a slug nobody provisioned
    return tenant


def list_models(r: Request) -> Reply:
    return Reply(r.app.model_catalog.models())


def list_model_versions(r: Request) -> Reply:
    from shared.services.models.catalog import ALL_TENANTS

    return Reply(r.app.model_catalog.versions(_model(r), ALL_TENANTS))


def propose_promotion(r: Request) -> Reply:
    from shared.services.models.catalog import promotion_view

    step = r.app.model_governance.propose(_model(r), _version(r), _actor(r), _tenant_target(r))
    return Reply(promotion_view(step))


def decide_promotion(r: Request) -> Reply:
    from shared.services.models.catalog import promotion_view

    governance, target = r.app.model_governance, (_model(r), _version(r), _actor(r))
    if r.body["decision"] == "approve":
        step = governance.approve(*target, _tenant_target(r))
    else:
        step = governance.reject(*target, _tenant_target(r), r.body["comment"])
    return Reply(promotion_view(step))


def rollback_model(r: Request) -> Reply:
    from shared.services.models.catalog import promotion_view

    step = r.app.model_governance.rollback(_model(r), _actor(r), _tenant_target(r))
    return Reply(promotion_view(step))


def list_promotions(r: Request) -> Reply:
    return Reply(r.app.model_catalog.history(_model(r)))


def get_model_card(r: Request) -> Reply:
    from shared.services.models.cards import card_markdown

    card = r.app.model_cards.card(_model(r), _version(r), r.query["tenant"])
    if "text/markdown" in r.accept:
        return Reply(text=card_markdown(card), media_type="text/markdown")
    return Reply(card)


def list_tenant_model_versions(r: Request) -> Reply:
    return Reply(r.app.model_catalog.versions(_model(r), r.params["tenant"]))


MODEL_HANDLERS: dict[str, Callable[[Request], Reply]] = {
    "listModels": list_models,
    "listModelVersions": list_model_versions,
    "proposePromotion": propose_promotion,
    "decidePromotion": decide_promotion,
    "rollbackModel": rollback_model,
    "listPromotions": list_promotions,
    "getModelCard": get_model_card,
    "listTenantModelVersions": list_tenant_model_versions,
}
