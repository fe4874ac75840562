"""The tenant task API for SSO users: read a task, approve or reject it."""

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
        from shared.services.approvals import parse_decision

        approvals = container().approvals
        principal = await asyncio.to_thread(
            approvals.authenticate, tenant, req.headers.get("Authorization")
        )
        decision, comment = parse_decision(json_body(req))
        event = await asyncio.to_thread(
            approvals.decide, tenant, task, principal, decision, comment
        )
        await client.raise_event(task, "approval", event)
        return json_response({"task": task, **event}, 202)
    except DomainError as exc:
        return error_response(exc)
