"""review_flow: ``/agent review`` on a pull/merge request becomes one anchored review.

The blueprint holds the orchestrator and its review activities; it reuses the patch flow's
``authorise``, ``start_task`` and ``finish_task`` activities (registered by that blueprint in
the same app), so a review passes the same trigger authorisation, slots, budgets, audit and
lineage as a fix. ``function_app`` registers it.
"""

import azure.durable_functions as df

bp = df.Blueprint()

from orchestrations.review_flow import activities, orchestrator  # noqa: E402, F401
