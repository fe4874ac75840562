"""patch_flow: an SCM request becomes a validated, approved, traceable pull request.

The blueprint holds the orchestrator (``orchestrator.py``) and its activities
(``activities.py``); ``function_app`` registers it.
"""

import azure.durable_functions as df

bp = df.Blueprint()

from orchestrations.patch_flow import activities, orchestrator  # noqa: E402, F401  (registers)
