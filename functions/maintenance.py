"""Timer triggers that keep tasks moving: the reconciler, every minute.

The trigger only builds the Durable client adapter and runs the ``Reconciler`` (see
``shared/services/reconciler.py``); a failing pass is logged and the next occurrence retries.
"""

from __future__ import annotations

import logging

import azure.durable_functions as df
import azure.functions as func

bp = df.Blueprint()
log = logging.getLogger(__name__)


@bp.timer_trigger(schedule="0 * * * * *", arg_name="timer")
@bp.durable_client_input(client_name="client")
async def reconcile_tasks(timer: func.TimerRequest, client: df.DurableOrchestrationClient) -> None:
    # Imported on first run, not at ``import function_app`` (cold start).
    from shared.adapters.durable.client import DurableOrchestrations
    from shared.bootstrap import container

    try:
        report = await container().reconciler.run(DurableOrchestrations(client))
    except Exception:
        log.exception("reconciler pass failed (past due: %s)", timer.past_due)
        raise
    log.info("reconciler pass: %s", report.to_json())
