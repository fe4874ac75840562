"""``POST /api/webhooks/{provider}/{tenant}``: SCM webhooks (github, gitlab, azure-devops).

202 ``{"id": <task id>, "status": <the tasks API URL>}`` (also the ``Location``) when a task was
created and its orchestration started — never the Durable check-status payload: SCMs show this
body to repository admins in their delivery logs, and its management URLs carry the host's key.
200 ``{"status": ..., "task_id"?, "reason"?}`` for duplicates, commands on a running task and
ignored events; 4xx ``{"error": <code>}`` for what the sender must fix (401 without
detail, 429 with ``Retry-After``).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import azure.durable_functions as df
import azure.functions as func

from functions.http import error_response, json_response
from shared.domain.errors import DomainError

bp = df.Blueprint()
log = logging.getLogger(__name__)


@bp.route(
    route="api/webhooks/{provider}/{tenant}", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS
)
@bp.durable_client_input(client_name="client")
async def receive_webhook(
    req: func.HttpRequest, client: df.DurableOrchestrationClient, context: func.Context
) -> func.HttpResponse:
    # Imported on first delivery, not at ``import function_app`` (cold start).
    from shared.adapters.durable.client import DurableOrchestrations
    from shared.bootstrap import container
    from shared.services.intake import Outcome, ReceiveDelivery
    from shared.telemetry.tracing import intake_span

    command = ReceiveDelivery(
        provider=req.route_params.get("provider", ""),
        tenant=req.route_params.get("tenant", ""),
        headers={name.lower(): value for name, value in req.headers.items()},
        body=req.get_body(),
        received_at=datetime.now(UTC),
    )
    trace_parent = context.trace_context.trace_parent if context.trace_context else ""
    with intake_span(command.provider, command.tenant, trace_parent) as delivery:
        try:
            result = await container().intake.receive(command, DurableOrchestrations(client))
        except DomainError as exc:
            delivery.outcome = exc.code
            return error_response(exc)
        except Exception:
            log.exception("webhook %s/%s failed", command.provider, command.tenant)
            raise
        delivery.outcome, delivery.task_id = str(result.outcome), result.task_id
    if result.outcome is Outcome.ACCEPTED and result.task_id:
        from shared.services.patch_flow.messages import task_link

        status = task_link(container().settings.public_base_url, command.tenant, result.task_id)
        return json_response({"id": result.task_id, "status": status}, 202, {"Location": status})
    return json_response(result.to_json())
