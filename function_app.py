"""The Functions app: creates the Durable app and registers the blueprints. Nothing else.

In Azure the settings are validated here, when the host loads the app: a missing or invalid
setting stops the start with an error naming it, instead of failing each request later.
Locally (devhost, tests) they are read on first use, keeping ``import function_app`` light.
"""

import os

import azure.durable_functions as df

from functions import admin_api, console, health, maintenance, webhooks
from orchestrations import patch_flow, review_flow

if os.environ.get("APP_ENVIRONMENT") == "azure":
    from shared.config import load_settings

    load_settings()

app = df.DFApp()
app.register_functions(health.bp)
app.register_functions(admin_api.bp)
app.register_functions(console.bp)
app.register_functions(webhooks.bp)
app.register_functions(maintenance.bp)
app.register_functions(patch_flow.bp)
app.register_functions(review_flow.bp)
