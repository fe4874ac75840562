"""Timer triggers that keep the platform healthy: the reconciler every minute
(``shared/services/reconciler.py``), the kept repository indexes' update after pushes every
minute (``shared/services/repo_index.py``) and the retention purge daily at 03:30 UTC
(``shared/services/retention.py``). A failing run is logged; the next occurrence retries.
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


@bp.timer_trigger(schedule="30 * * * * *", arg_name="timer")
def update_repo_indexes(timer: func.TimerRequest) -> None:
    from shared.bootstrap import container

    try:
        reports = container().repo_indexes.update_pending()
    except Exception:
        log.exception("repository index pass failed (past due: %s)", timer.past_due)
        raise
    for report in reports:
        log.info("repository index %s at %s: %d read, %d removed", report.key.repository,
                 report.commit, len(report.read), len(report.removed))  # fmt: skip


@bp.timer_trigger(schedule="0 30 3 * * *", arg_name="timer")
def purge_expired_data(timer: func.TimerRequest) -> None:
    from shared.bootstrap import container

    try:
        purged = container().retention.purge()
    except Exception:
        log.exception("retention purge failed (past due: %s)", timer.past_due)
        raise
    log.info("retention purge: %s", purged)
