"""The Functions app: creates the Durable app and registers the blueprints. Nothing else."""

import azure.durable_functions as df

from functions import health, maintenance, tasks_api, webhooks
from orchestrations import patch_flow

app = df.DFApp()
app.register_functions(health.bp)
app.register_functions(tasks_api.bp)
app.register_functions(webhooks.bp)
app.register_functions(maintenance.bp)
app.register_functions(patch_flow.bp)
