"""refusal_reply: tells the author of a command refused at intake why nothing happened.

Intake refuses some commands before any task exists (the tenant's rate limit: 429; a denied
author) and must answer without calling the SCM, so it starts this small flow instead: one
activity that audits the refusal and replies on the source, at most once per author and window.
"""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df

from orchestrations.patch_flow import bp
from orchestrations.patch_flow.orchestrator import RETRY


@bp.orchestration_trigger(context_name="context")
def refusal_reply(context: df.DurableOrchestrationContext) -> Any:
    payload: dict[str, Any] = context.get_input()
    result = yield context.call_activity_with_retry("reply_refusal", RETRY, payload)
    return result
