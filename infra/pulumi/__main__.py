"""Pulumi entry point: read the stack configuration once, build the platform, export its outputs."""

import pulumi
from agent_infra.console import public_config
from agent_infra.platform import api_origin, build_platform
from agent_infra.stack_config import load_settings

settings = load_settings(
    pulumi.Config(),
    project=pulumi.get_project(),
    stack=pulumi.get_stack(),
    location=pulumi.Config("azure-native").require("location"),
)
for warning in settings.warnings():
    pulumi.log.warn(warning)

platform = build_platform(settings)

pulumi.export("resource_group", platform.resource_group.name)
pulumi.export("function_app", platform.functions.app.name)
pulumi.export(
    "function_app_url", pulumi.Output.concat("https://", platform.functions.default_host_name)
)
pulumi.export("console_url", platform.console.origin)
# What the SPA's app registration must list as a redirect URI of type SPA (see README).
pulumi.export("console_redirect_uri", platform.console.redirect_uri)
# Written into the bundle as staticwebapp.config.json before it is deployed (see README).
pulumi.export("console_staticwebapp_config", platform.console.config_json)
# Written into the bundle as console.json: where the console finds the admin API.
pulumi.export("console_json", public_config(api_origin(settings)))
# The console's app registration (a public SPA client) and the API scope it asks for; the app
# reads the API's client id as ENTRA_AUDIENCE (v2 tokens name it as their audience).
pulumi.export("console_client_id", platform.entra.console_client_id)
pulumi.export("console_scope", platform.entra.console_scope)
pulumi.export("entra_audience", platform.entra.audience)
pulumi.export("postgres_host", platform.database.host)
pulumi.export("key_vault_url", platform.vault.vault_uri)
pulumi.export("ollama_host", platform.gpu.url)
pulumi.export(
    "tenants",
    {
        slug: {"database": stack.database.name, "key_uri": stack.key.key_uri}
        for slug, stack in platform.tenants.items()
    },
)
