"""patch_flow: an SCM request becomes a validated, approved, traceable pull request.

The blueprint holds the orchestrator (``orchestrator.py``), its activities (``activities.py``)
and the small ``refusal_reply`` flow intake starts for commands it refuses (``refusal.py``);
``function_app`` registers it.
"""

import azure.durable_functions as df

bp = df.Blueprint()

from orchestrations.patch_flow import activities, orchestrator, refusal  # noqa: E402, F401
