"""The tenant API for SSO users: read a task, approve or reject it, manage identity links.

Deciding records the decision first and raises the ``approval`` event with its id only; the
response never carries Durable management URLs or keys.
"""

from __future__ import annotations

import asyncio

import azure.durable_functions as df
import azure.functions as func

from functions.http import error_response, json_body, json_response
from shared.domain.errors import DomainError

bp = df.Blueprint()


@bp.route(
    route="tenants/{tenant}/tasks/{task}", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS
)
def get_task(req: func.HttpRequest) -> func.HttpResponse:
    from shared.bootstrap import container

    tenant, task = req.route_params["tenant"], req.route_params["task"]
    try:
        approvals = container().approvals
        principal = approvals.authenticate(tenant, req.headers.get("Authorization"))
        return json_response(approvals.view(tenant, task, principal))
    except DomainError as exc:
        return error_response(exc)


@bp.route(
    route="tenants/{tenant}/tasks/{task}/approval",
    methods=["POST"],
    auth_level=func.AuthLevel.ANONYMOUS,
)
@bp.durable_client_input(client_name="client")
async def submit_approval(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    from shared.bootstrap import container

    tenant, task = req.route_params["tenant"], req.route_params["task"]
    try:
        from shared.adapters.durable.client import DurableOrchestrations
        from shared.services.approvals import parse_decision

        approvals = container().approvals
        principal = await asyncio.to_thread(
            approvals.authenticate, tenant, req.headers.get("Authorization")
        )
        decision, comment = parse_decision(json_body(req))
        recorded = await asyncio.to_thread(
            approvals.decide, tenant, task, principal, decision, comment
        )
        event = {"decision_id": recorded.id}
        await DurableOrchestrations(client).raise_event(task, "approval", event)
        return json_response({"task": task, **recorded.to_json()}, 202)
    except DomainError as exc:
        return error_response(exc)


@bp.route(route="tenants/{tenant}/identities", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def list_identities(req: func.HttpRequest) -> func.HttpResponse:
    from shared.bootstrap import container

    tenant = req.route_params["tenant"]
    try:
        principal = container().approvals.authenticate(tenant, req.headers.get("Authorization"))
        return json_response({"links": container().identities.list(tenant, principal)})
    except DomainError as exc:
        return error_response(exc)


@bp.route(
    route="tenants/{tenant}/identities/{provider}/{scm_user}",
    methods=["PUT", "DELETE"],
    auth_level=func.AuthLevel.ANONYMOUS,
)
def change_identity(req: func.HttpRequest) -> func.HttpResponse:
    """``PUT {"object_id": ...}`` links the SCM user to an Entra object id; ``DELETE`` unlinks."""
    from shared.bootstrap import container

    params = req.route_params
    tenant, provider, user = params["tenant"], params["provider"], params["scm_user"]
    try:
        principal = container().approvals.authenticate(tenant, req.headers.get("Authorization"))
        links = container().identities
        if req.method == "DELETE":
            links.unlink(tenant, principal, provider, user)
            return func.HttpResponse(status_code=204)
        return json_response(links.link(tenant, principal, provider, user, json_body(req)))
    except DomainError as exc:
        return error_response(exc)
