"""The ``durableClient`` binding JSON that client functions receive.

The SDK's ``DurableOrchestrationClient`` sends every call to ``rpcBaseUrl`` (which must end in
``/``); ``managementUrls`` and ``creationUrls`` only feed ``create_check_status_response`` and
``create_http_management_payload``, whose origin the SDK replaces by the incoming request's.
devhost serves the management API both under ``rpcBaseUrl`` and under
``/runtime/webhooks/durabletask/`` on its one HTTP port.
"""

from __future__ import annotations

import functools
import json
from urllib.parse import quote

WEBHOOK_PATH = "/runtime/webhooks/durabletask"
RPC_PATH = "/durabletask"
CONNECTION_NAME = "Storage"
INSTANCE_PLACEHOLDER = "INSTANCEID"


def query_suffix(hub: str) -> str:
    return f"taskHub={quote(hub)}&connection={CONNECTION_NAME}"


def management_urls(base_url: str, hub: str, instance_id: str) -> dict[str, str]:
    """The check-status payload for ``instance_id`` (as ``HttpApiHandler`` builds it)."""
    prefix = f"{base_url}/instances/{quote(instance_id, safe='')}"
    suffix = query_suffix(hub)
    return {
        "id": instance_id,
        "statusQueryGetUri": f"{prefix}?{suffix}",
        "sendEventPostUri": f"{prefix}/raiseEvent/{{eventName}}?{suffix}",
        "terminatePostUri": f"{prefix}/terminate?reason={{text}}&{suffix}",
        "rewindPostUri": f"{prefix}/rewind?reason={{text}}&{suffix}",
        "purgeHistoryDeleteUri": f"{prefix}?{suffix}",
        "restartPostUri": f"{prefix}/restart?{suffix}",
        "suspendPostUri": f"{prefix}/suspend?reason={{text}}&{suffix}",
        "resumePostUri": f"{prefix}/resume?reason={{text}}&{suffix}",
    }


def rpc_base_url(port: int) -> str:
    """Where the SDK's client sends every call (``local_client`` answers some in process)."""
    return f"http://127.0.0.1:{port}{RPC_PATH}/"


@functools.lru_cache(maxsize=16)
def client_binding_json(port: int, hub: str) -> str:
    """The binding JSON for a devhost listening on ``port`` with task hub ``hub`` (built once:
    every client function invocation gets it)."""
    base_url = f"http://localhost:{port}{WEBHOOK_PATH}"
    creation = f"{base_url}/orchestrators/{{functionName}}[/{{instanceId}}]"
    suffix = query_suffix(hub)
    return json.dumps(
        {
            "taskHubName": hub,
            "creationUrls": {
                "createNewInstancePostUri": f"{creation}?{suffix}",
                "createAndWaitOnNewInstancePostUri": (
                    f"{creation}?timeout={{timeoutInSeconds}}"
                    f"&pollingInterval={{intervalInSeconds}}&{suffix}"
                ),
            },
            "managementUrls": management_urls(base_url, hub, INSTANCE_PLACEHOLDER),
            "baseUrl": base_url,
            "requiredQueryStringParameters": suffix,
            "rpcBaseUrl": rpc_base_url(port),
        }
    )
