"""Model cards for SSO users: ``GET /api/models/{name}/versions/{version}/card?tenant=SLUG``.

The caller authenticates as a user of ``tenant`` (any of its roles, checked as the admin API
does): the card shows the global aliases and only that tenant's own. ``Accept: text/markdown``
gets Markdown, anything else JSON.
"""

from __future__ import annotations

import azure.functions as func

from functions.http import error_response, json_response
from shared.domain.errors import DomainError, InvalidInput

bp = func.Blueprint()


@bp.route(
    route="models/{name}/versions/{version}/card",
    methods=["GET"],
    auth_level=func.AuthLevel.ANONYMOUS,
)
def model_card(req: func.HttpRequest) -> func.HttpResponse:
    from shared.bootstrap import container
    from shared.domain.models import validate_model_name
    from shared.policies.rbac import TENANT_ROLES
    from shared.services.models.cards import card_markdown

    try:
        tenant = req.params.get("tenant")
        if not tenant:
            raise InvalidInput("the tenant query parameter is required", code="tenant-required")
        version = req.route_params["version"]
        if not version.isdigit() or not 0 < int(version) < 10**9:
            raise InvalidInput(f"invalid model version {version!r}", code="invalid-model-version")
        app = container()
        access = app.admin.access
        caller = access.tenant_caller(tenant, req.headers.get("Authorization"))
        access.authorize(caller, frozenset(str(r) for r in TENANT_ROLES))
        card = app.model_cards.card(
            validate_model_name(req.route_params["name"]), int(version), tenant
        )
    except DomainError as exc:
        return error_response(exc)
    if "text/markdown" in req.headers.get("Accept", ""):
        return func.HttpResponse(card_markdown(card), mimetype="text/markdown", charset="utf-8")
    return json_response(card)
