"""The admin API's HTTP triggers: one function per operation of ``shared.api.operations``,
registered from that table (so the served operations, the roles enforced and the OpenAPI
document are one list). Each trigger only hands its request to ``functions.api_dispatch``."""

from __future__ import annotations

import azure.durable_functions as df
import azure.functions as func

from shared.api.operations import OPERATIONS, Operation

bp = df.Blueprint()


def _register(op: Operation) -> None:
    if op.durable:

        async def with_client(
            req: func.HttpRequest, client: df.DurableOrchestrationClient
        ) -> func.HttpResponse:
            from functions.api_dispatch import dispatch

            return await dispatch(op, req, client)

        trigger = bp.durable_client_input(client_name="client")(with_client)
    else:

        async def trigger(req: func.HttpRequest) -> func.HttpResponse:
            from functions.api_dispatch import dispatch

            return await dispatch(op, req, None)

    route = bp.route(
        route=f"api/{op.route}", methods=[op.method], auth_level=func.AuthLevel.ANONYMOUS
    )
    bp.function_name(name=op.id)(route(trigger))


for _op in OPERATIONS:
    _register(_op)
